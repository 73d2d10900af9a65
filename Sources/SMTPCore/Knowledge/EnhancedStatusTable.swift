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
        /// A short name, in our words, e.g. "Bad destination mailbox address".
        public let title: String
        /// One or two sentences: what happened and what to do about it.
        public let meaning: String
        /// Where the code is defined, e.g. "RFC 3463 §3.2".
        public let reference: String
        /// The classes the registry allows for this code, e.g. [4, 5].
        public let classes: Set<Int>

        public init(_ subject: Int, _ detail: Int, classes: Set<Int>, title: String, meaning: String, reference: String)
        {
            self.subject = subject
            self.detail = detail
            self.classes = classes
            self.title = title
            self.meaning = meaning
            self.reference = reference
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
