/// Splits one line of an imported CSV file into its fields.
///
/// Hand-written rather than taken from yaslab/CSV.swift or SwiftCSV because
/// the imported files are not RFC 4180: the matching algorithm's output puts a
/// space after each comma before an opening quote (`101, "0.0000"`) and wraps
/// the side in typographic quotes (`“buyer”`). An RFC 4180 reader keeps such
/// quotes as part of the value (or fails); this one trims blanks around each
/// field and then removes one pair of enclosing quotes, straight (`"…"`, with
/// `""` standing for one `"` inside) or curly (`“…”`).
///
/// Line-based on purpose: no imported format quotes a newline, and a line-based reader
/// streams with constant memory and gives every row its line number.
public enum CSVFieldSplitter {
    /// The fields of `line` (without its line terminator).
    public static func split(_ line: Substring) throws(RowRejection) -> [String] {
        let characters = Array(line)
        var fields: [String] = []
        var index = 0
        while true {
            // Leading blanks.
            while index < characters.count, characters[index].isBlank { index += 1 }
            var field = ""
            if index < characters.count, let closing = closingQuote(for: characters[index]) {
                index += 1
                var terminated = false
                while index < characters.count {
                    let character = characters[index]
                    index += 1
                    if character == closing {
                        if closing == "\"", index < characters.count, characters[index] == "\"" {
                            field.append("\"")
                            index += 1
                            continue
                        }
                        terminated = true
                        break
                    }
                    field.append(character)
                }
                guard terminated else { throw RowRejection("unterminated quote in field \(fields.count + 1)") }
                while index < characters.count, characters[index].isBlank { index += 1 }
                if index < characters.count, characters[index] != "," {
                    throw RowRejection("text after the closing quote in field \(fields.count + 1)")
                }
            } else {
                while index < characters.count, characters[index] != "," {
                    field.append(characters[index])
                    index += 1
                }
                field = trimmed(field)
            }
            fields.append(field)
            guard index < characters.count else { return fields }
            index += 1  // the comma
        }
    }

    private static func closingQuote(for character: Character) -> Character? {
        switch character {
        case "\"": "\""
        case "\u{201C}", "\u{201D}": "\u{201D}"
        default: nil
        }
    }

    static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isBlank }) else { return "" }
        let last = text.lastIndex(where: { !$0.isBlank })!
        return String(text[first...last])
    }
}

extension Character {
    var isBlank: Bool { self == " " || self == "\t" || self == "\r" }
}
