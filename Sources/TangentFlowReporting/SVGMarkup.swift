// Small SVG/XML text helpers shared by SVGPlot and SVGFigure: escaping, compact coordinates, text-width estimates.

import Foundation
import TangentFlow

/// Text helpers for writing SVG by hand.
package enum SVGMarkup {
    /// `text` safe inside XML character data and inside single- or double-quoted attribute values.
    ///
    /// `& < > " '` become entities; characters XML 1.0 forbids (C0 controls other than tab, LF, CR, and the
    /// non-characters U+FFFE, U+FFFF) become U+FFFD, so the document stays well-formed whatever the input.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A coordinate or length rounded to 0.01 px, without trailing zeros ("12", "12.5", "-0.07").
    ///
    /// Non-finite input gives "0"; magnitudes are clamped to 1e7 px (callers clip geometry before this).
    static func num(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let hundredths = Int((min(max(value, -1e7), 1e7) * 100).rounded())
        if hundredths == 0 { return "0" }
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        let whole = magnitude / 100
        let frac = magnitude % 100
        if frac == 0 { return "\(sign)\(whole)" }
        if frac % 10 == 0 { return "\(sign)\(whole).\(frac / 10)" }
        return "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// Estimated rendered width of `text` at `fontSize` px in a DejaVu-Sans-like font.
    ///
    /// No font metrics are available without dependencies, so this errs wide: digits and most lower-case letters
    /// count 0.64 em, narrow glyphs less, capitals and wide glyphs more. Layout uses it to keep labels from
    /// overlapping or clipping; overestimating only costs a little space. Bold text (`bold`) counts 12 % wider,
    /// as DejaVu Sans Bold runs.
    static func textWidth<S: StringProtocol>(_ text: S, fontSize: Double, bold: Bool = false) -> Double {
        var em = 0.0
        for ch in text {
            switch ch {
            case "i", "j", "l", "'", "|", "!", ".", ",", ":", ";", " ": em += 0.34
            case "f", "t", "r", "I", "(", ")", "[", "]", "-": em += 0.45
            case "m", "w", "M", "W", "@", "%": em += 0.95
            case "A"..."Z": em += 0.72
            default: em += ch.isASCII ? 0.64 : 0.8
            }
        }
        return em * fontSize * (bold ? 1.12 : 1)
    }

    /// Font stack for all text: DejaVu Sans first, whose metrics `textWidth` assumes, then common fallbacks.
    static let fontFamily = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"

    /// A standalone SVG document: XML declaration, root `<svg>` of `width` × `height` px, an accessible
    /// `<title>` (when `title` is not empty), a white background and `body`.
    static func document(width: Double, height: Double, title: String, body: String) -> String {
        let w = num(width), h = num(height)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
            + "font-family=\"\(fontFamily)\">\n"
        if !title.isEmpty { out += "<title>\(escape(title))</title>\n" }
        out += "<rect width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        out += body
        out += "</svg>\n"
        return out
    }

    /// A `<text>` element; `content` is escaped here.
    ///
    /// - Parameters:
    ///   - anchor: `start`, `middle` or `end` (horizontal alignment at `x`).
    ///   - rotate: degrees about (x, y), e.g. -90 for a vertical axis title.
    static func text(_ content: String, x: Double, y: Double, size: Double, anchor: String = "middle",
                     bold: Bool = false, fill: String = "#222222", rotate: Double? = nil,
                     cssClass: String? = nil) -> String {
        var out = "<text"
        if let c = cssClass { out += " class=\"\(escape(c))\"" }
        out += " x=\"\(num(x))\" y=\"\(num(y))\" font-size=\"\(num(size))\" text-anchor=\"\(anchor)\""
        if bold { out += " font-weight=\"bold\"" }
        out += " fill=\"\(fill)\""
        if let r = rotate { out += " transform=\"rotate(\(num(r)) \(num(x)) \(num(y)))\"" }
        return out + ">\(escape(content))</text>\n"
    }

    /// `text` shortened with a trailing "…" so that `textWidth` at `fontSize` is at most `maxWidth`.
    static func truncated(_ text: String, maxWidth: Double, fontSize: Double, bold: Bool = false) -> String {
        guard textWidth(text, fontSize: fontSize, bold: bold) > maxWidth else { return text }
        var kept = Substring(text)
        while !kept.isEmpty, textWidth(kept + "…", fontSize: fontSize, bold: bold) > maxWidth {
            kept = kept.dropLast()
        }
        return kept + "…"
    }

    /// The font size at most `preferred`, at least `minimum`, at which `text` fits `maxWidth`.
    static func fittingSize(_ text: String, preferred: Double, minimum: Double, maxWidth: Double,
                            bold: Bool = false) -> Double {
        let w = textWidth(text, fontSize: preferred, bold: bold)
        guard w > maxWidth, w > 0 else { return preferred }
        return max(minimum, preferred * maxWidth / w)
    }
}
