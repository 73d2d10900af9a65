/// What an enhanced status code means: its class, its subject and, when registered, its detail.
///
/// RFC 3463 defines the structure and the first codes; the IANA "Enumerated Status Codes"
/// registry (RFC 5248) holds every code registered since. The rows live in
/// `EnhancedStatusTable+Rows.swift`; everything that explains an enhanced code reads them.
public enum EnhancedStatusTable {
    /// One registered `X.subject.detail` code (the class is free: the same detail is used with
    /// 2, 4 or 5 as the registry says).
    public struct Row: Sendable {
        public let subject: Int
        public let detail: Int
        /// A short name, close to RFC 3463's own title, e.g. "Recipient mailbox does not exist".
        public let title: String
        /// One sentence for a beginner: what the code says happened.
        public let plain: String
        /// One sentence: what to do about it (nil where there is nothing to do).
        public let advice: String?
        /// Where the code is defined, e.g. "RFC 3463 §3.2".
        public let reference: String
        /// The classes the registry allows for this code, e.g. [4, 5].
        public let classes: Set<Int>
        /// How the code reads with class 2, when it is a success: "2.1.5 Recipient accepted", not
        /// the failure-minded title ("Other address status") that a 4 or 5 would carry.
        public let success: Success?

        public init(
            _ subject: Int, _ detail: Int, classes: Set<Int>, title: String, plain: String, advice: String?,
            reference: String, success: Success? = nil
        ) {
            self.subject = subject
            self.detail = detail
            self.classes = classes
            self.title = title
            self.plain = plain
            self.advice = advice
            self.reference = reference
            self.success = success
        }

        /// The plain sentence and the advice together.
        public var meaning: String { advice.map { plain + " " + $0 } ?? plain }

        /// The title for a code of this class (the success reading for class 2).
        public func title(statusClass: Int) -> String {
            statusClass == 2 ? success?.title ?? title : title
        }

        /// The plain sentence for a code of this class, with its advice (none for a success).
        public func plainWords(statusClass: Int) -> String {
            if statusClass == 2 { return success?.plain ?? plain }
            return meaning
        }
    }

    /// How a code reads when its class is 2 (success).
    public struct Success: Sendable {
        public let title: String
        public let plain: String

        public init(title: String, plain: String) {
            self.title = title
            self.plain = plain
        }
    }

    /// The class digit's meaning (RFC 3463 §2).
    public struct ClassRow: Sendable {
        public let statusClass: Int
        public let title: String
        public let meaning: String
        public let reference: String
    }

    /// The subject's meaning, the middle number (RFC 3463 §2).
    public struct SubjectRow: Sendable {
        public let subject: Int
        public let title: String
        public let meaning: String
        public let reference: String
    }

    public static func classRow(_ statusClass: Int) -> ClassRow? {
        classRows.first { $0.statusClass == statusClass }
    }

    public static func subjectRow(_ subject: Int) -> SubjectRow? {
        subjectRows.first { $0.subject == subject }
    }

    public static func row(for code: EnhancedStatusCode) -> Row? {
        rows.first { $0.subject == code.subject && $0.detail == code.detail }
    }
}
