// A built-in bitmap font for plot labels, so that drawing text needs no font files
// and gives the same pixels everywhere. The glyphs were drawn for TripletKit: 5×7
// pixels for capitals and digits, with two more rows below the baseline for the
// descenders of g, j, p, q, y and the comma.

/// A fixed-width bitmap font covering printable ASCII (U+0020 to U+007E). Other
/// characters are drawn as "?".
public struct BitmapFont: Sendable {
    /// Glyph bitmap width in pixels at scale 1.
    public let glyphWidth = 5
    /// Rows from the top of a capital to the baseline.
    public let ascent = 7
    /// Rows below the baseline, for descenders.
    public let descent = 2
    /// Horizontal distance from one character to the next: the glyph plus one blank column.
    public let advance = 6

    /// One bitmask per row, top row first, with bit 4 as the leftmost column.
    private let glyphs: [Character: [UInt8]]

    public static let standard = BitmapFont(art: glyphArt)

    /// Pixel height of one line of text, ascent plus descent, at `scale`.
    public func lineHeight(scale: Int = 1) -> Int { (ascent + descent) * scale }

    /// Pixel width of `text` at `scale`, without a trailing blank column.
    public func width(of text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    /// Returns the row bitmasks of `character`, or of "?" when the font has no glyph for it.
    func rows(for character: Character) -> [UInt8] {
        glyphs[character] ?? glyphs["?"] ?? []
    }

    /// Parses the glyph art: bands of glyphs side by side, each band a line naming the
    /// characters (one every `advance` columns) and then ascent + descent rows where "#"
    /// is a set pixel. The space has no art because it has no pixels.
    private init(art: String) {
        let rowCount = ascent + descent
        var table: [Character: [UInt8]] = [" ": [UInt8](repeating: 0, count: rowCount)]
        let lines = art.split(separator: "\n", omittingEmptySubsequences: true).map { Array($0) }
        var bandStart = 0
        while bandStart + rowCount < lines.count {
            let header = lines[bandStart]
            for column in stride(from: 0, to: header.count, by: advance) {
                var rows: [UInt8] = []
                for row in 1...rowCount {
                    let line = lines[bandStart + row]
                    var mask: UInt8 = 0
                    for x in 0..<glyphWidth where line[column + x] == "#" {
                        mask |= 1 << (glyphWidth - 1 - x)
                    }
                    rows.append(mask)
                }
                table[header[column]] = rows
            }
            bandStart += rowCount + 1
        }
        glyphs = table
    }

    private static let glyphArt = #"""
        !     "     #     $     %     &     '     (     )     *     +     ,
        ..#.. .#.#. .#.#. ..#.. ##... .##.. ..#.. ...#. .#... ..... ..... .....
        ..#.. .#.#. .#.#. .#### ##..# #..#. ..#.. ..#.. ..#.. ..#.. ..#.. .....
        ..#.. .#.#. ##### #.#.. ...#. #.#.. ..#.. .#... ...#. #.#.# ..#.. .....
        ..#.. ..... .#.#. .###. ..#.. .#... ..... .#... ...#. .###. ##### .....
        ..#.. ..... ##### ..#.# .#... #.#.# ..... .#... ...#. #.#.# ..#.. .....
        ..... ..... .#.#. ####. #..## #..#. ..... ..#.. ..#.. ..#.. ..#.. .##..
        ..#.. ..... .#.#. ..#.. ...## .##.# ..... ...#. .#... ..... ..... .##..
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..#..
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .#...

        -     .     /     0     1     2     3     4     5     6     7     8
        ..... ..... ..... .###. ..#.. .###. ##### ...#. ##### ..##. ##### .###.
        ..... ..... ....# #...# .##.. #...# ...#. ..##. #.... .#... ....# #...#
        ..... ..... ...#. #..## ..#.. ....# ..#.. .#.#. ####. #.... ...#. #...#
        ##### ..... ..#.. #.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#.. .###.
        ..... ..... .#... ##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...#
        ..... .##.. #.... #...# ..#.. .#... #...# ...#. #...# #...# .#... #...#
        ..... .##.. ..... .###. .###. ##### .###. ...#. .###. .###. .#... .###.
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....

        9     :     ;     <     =     >     ?     @     A     B     C     D
        .###. ..... ..... ...#. ..... .#... .###. .###. .###. ####. .###. ###..
        #...# .##.. .##.. ..#.. ..... ..#.. #...# #...# #...# #...# #...# #..#.
        #...# .##.. .##.. .#... ##### ...#. ....# ....# #...# #...# #.... #...#
        .#### ..... ..... #.... ..... ....# ...#. .##.# ##### ####. #.... #...#
        ....# .##.. .##.. .#... ##### ...#. ..#.. #.#.# #...# #...# #.... #...#
        ...#. .##.. .##.. ..#.. ..... ..#.. ..... #.#.# #...# #...# #...# #..#.
        .##.. ..... ..#.. ...#. ..... .#... ..#.. .###. #...# ####. .###. ###..
        ..... ..... .#... ..... ..... ..... ..... ..... ..... ..... ..... .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....

        E     F     G     H     I     J     K     L     M     N     O     P
        ##### ##### .###. #...# .###. ..### #...# #.... #...# #...# .###. ####.
        #.... #.... #...# #...# ..#.. ...#. #..#. #.... ##.## #...# #...# #...#
        #.... #.... #.... #...# ..#.. ...#. #.#.. #.... #.#.# ##..# #...# #...#
        ####. ####. #.### ##### ..#.. ...#. ##... #.... #.#.# #.#.# #...# ####.
        #.... #.... #...# #...# ..#.. ...#. #.#.. #.... #...# #..## #...# #....
        #.... #.... #...# #...# ..#.. #..#. #..#. #.... #...# #...# #...# #....
        ##### #.... .#### #...# .###. .##.. #...# ##### #...# #...# .###. #....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....

        Q     R     S     T     U     V     W     X     Y     Z     [     \
        .###. ####. .#### ##### #...# #...# #...# #...# #...# ##### .###. .....
        #...# #...# #.... ..#.. #...# #...# #...# #...# #...# ....# .#... #....
        #...# #...# #.... ..#.. #...# #...# #...# .#.#. .#.#. ...#. .#... .#...
        #...# ####. .###. ..#.. #...# #...# #.#.# ..#.. ..#.. ..#.. .#... ..#..
        #.#.# #.#.. ....# ..#.. #...# #...# #.#.# .#.#. ..#.. .#... .#... ...#.
        #..#. #..#. ....# ..#.. #...# .#.#. #.#.# #...# ..#.. #.... .#... ....#
        .##.# #...# ####. ..#.. .###. ..#.. .#.#. #...# ..#.. ##### .###. .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....

        ]     ^     _     `     a     b     c     d     e     f     g     h
        .###. ..#.. ..... .#... ..... #.... ..... ....# ..... ..##. ..... #....
        ...#. .#.#. ..... ..#.. ..... #.... ..... ....# ..... .#..# ..... #....
        ...#. #...# ..... ...#. .###. #.##. .###. .##.# .###. .#... .#### #.##.
        ...#. ..... ..... ..... ....# ##..# #.... #..## #...# ###.. #...# ##..#
        ...#. ..... ..... ..... .#### #...# #.... #...# ##### .#... #...# #...#
        ...#. ..... ..... ..... #...# #...# #...# #...# #.... .#... #...# #...#
        .###. ..... ..... ..... .#### ####. .###. .#### .###. .#... .#### #...#
        ..... ..... ##### ..... ..... ..... ..... ..... ..... ..... ....# .....
        ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .###. .....

        i     j     k     l     m     n     o     p     q     r     s     t
        ..#.. ...#. #.... .##.. ..... ..... ..... ..... ..... ..... ..... .#...
        ..... ..... #.... ..#.. ..... ..... ..... ..... ..... ..... ..... .#...
        .##.. ..##. #..#. ..#.. ##.#. #.##. .###. ####. .#### #.##. .#### ###..
        ..#.. ...#. #.#.. ..#.. #.#.# ##..# #...# #...# #...# ##..# #.... .#...
        ..#.. ...#. ##... ..#.. #.#.# #...# #...# #...# #...# #.... .###. .#...
        ..#.. ...#. #.#.. ..#.. #...# #...# #...# #...# #...# #.... ....# .#..#
        .###. ...#. #..#. .###. #...# #...# .###. ####. .#### #.... ####. ..##.
        ..... #..#. ..... ..... ..... ..... ..... #.... ....# ..... ..... .....
        ..... .##.. ..... ..... ..... ..... ..... #.... ....# ..... ..... .....

        u     v     w     x     y     z     {     |     }     ~
        ..... ..... ..... ..... ..... ..... ...## ..#.. ##... .....
        ..... ..... ..... ..... ..... ..... ..#.. ..#.. ..#.. .....
        #...# #...# #...# #...# #...# ##### ..#.. ..#.. ..#.. .#...
        #...# #...# #...# .#.#. #...# ...#. .#... ..#.. ...#. #.#.#
        #...# #...# #.#.# ..#.. #...# ..#.. ..#.. ..#.. ..#.. ...#.
        #..## .#.#. #.#.# .#.#. #...# .#... ..#.. ..#.. ..#.. .....
        .##.# ..#.. .#.#. #...# .#### ##### ...## ..#.. ##... .....
        ..... ..... ..... ..... ....# ..... ..... ..... ..... .....
        ..... ..... ..... ..... .###. ..... ..... ..... ..... .....
        """#
}

/// The point of the text that the x coordinate given to `drawText` marks.
public enum TextAlignment: Sendable {
    case left
    case center
    case right
}

extension Canvas {
    /// Draws one line of text whose capitals span rows y ..< y + 7 × scale; descenders go
    /// 2 × scale rows further. Each font pixel becomes a scale × scale block.
    public mutating func drawText(_ text: String, x: Int, y: Int, color: RGBColor, scale: Int = 1,
                                  alignment: TextAlignment = .left, font: BitmapFont = .standard) {
        precondition(scale >= 1, "text scale \(scale) must be at least 1")
        let textWidth = font.width(of: text, scale: scale)
        var penX: Int
        switch alignment {
        case .left: penX = x
        case .center: penX = x - textWidth / 2
        case .right: penX = x - textWidth
        }
        for character in text {
            for (row, mask) in font.rows(for: character).enumerated() where mask != 0 {
                for column in 0..<font.glyphWidth where mask & (1 << (font.glyphWidth - 1 - column)) != 0 {
                    fill(PixelRect(x: penX + column * scale, y: y + row * scale, width: scale, height: scale),
                         color: color)
                }
            }
            penX += font.advance * scale
        }
    }
}
