import Foundation

extension HandoutSession {
    /// The session as the dashboard's API gives it (`GET /api/sessions/ID`): times in RFC 3339,
    /// each step with its lane, its wire lines (secrets redacted), its reply code and its notes.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "id": id, "open": isOpen, "replies": replyCodes,
            "steps": steps.map(\.jsonObject),
            "lessons": lessons.map(\.jsonObject),
        ]
        if let client { object["client"] = client }
        if let server { object["server"] = server }
        if let startedAt { object["started"] = RFC3339.format(startedAt) }
        if let endedAt { object["ended"] = RFC3339.format(endedAt) }
        if let heloName { object["helo"] = heloName }
        if let practiceDomain { object["practiceDomain"] = practiceDomain }
        if hiddenSteps > 0 { object["stepsNotShown"] = hiddenSteps }
        return object
    }
}

extension HandoutSession.LessonStatus {
    /// `{"number": 5, "title": …, "reached": 1, "goals": [{"id": "refused", "say": …, "reached": true}, …]}`
    public var jsonObject: [String: Any] {
        [
            "number": number, "title": title, "reached": reachedCount,
            "goals": goals.map { ["id": $0.id, "say": $0.say, "reached": $0.isReached] },
        ]
    }
}

extension HandoutSession.Step {
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["lane": lane.rawValue, "lines": lines]
        if let time { object["time"] = RFC3339.format(time) }
        if let code { object["code"] = code }
        if let answers { object["answers"] = answers }
        if !notes.isEmpty {
            object["notes"] = notes.map { ["kind": $0.kind.rawValue, "text": $0.text] }
        }
        return object
    }
}

/// JSON text with sorted keys, as the transcripts write it.
public enum JSONText {
    public static func encode(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { preconditionFailure("JSON objects hold only strings, numbers, booleans, arrays and objects") }
        return String(decoding: data, as: UTF8.self)
    }
}
