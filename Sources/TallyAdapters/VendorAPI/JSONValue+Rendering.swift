import TallyCore

extension JSONValue {
    /// Compact JSON text of the value, numbers exactly as they were written:
    /// how a refused vendor transaction is kept in its dead letter.
    public var rendered: String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): JSONWriter.appendQuoted(text, to: &out)
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.render(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                JSONWriter.appendQuoted(member.key, to: &out)
                out += ":"
                member.value.render(into: &out)
            }
            out += "}"
        }
    }
}
