/// Escaping for text placed in HTML, in element content or in a quoted
/// attribute value.
///
/// Every string from outside (an account name, a currency, a month) goes
/// through ``escaped(_:)`` before it reaches a page: `&`, `<`, `>`, `"` and
/// `'` become character references, so no input can open a tag, close an
/// attribute or start an entity. Control characters other than tab, line
/// feed and carriage return (which HTML forbids in text) become U+FFFD.
public enum HTMLText {
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension HTMLText {
    /// The start of a self-contained page up to and including `<body>`:
    /// UTF-8, a viewport for phones, the title (escaped here) and the CSS
    /// inline, so the page needs nothing else to render (the account report,
    /// the aggregator's operator page).
    public static func documentStart(title: String, style: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escaped(title))</title>
        <style>\(style)</style>
        </head>
        <body>

        """
    }
}
