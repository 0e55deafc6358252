// Colours for drawing, and the fixed class palette that keeps each class's colour the
// same in every plot.

/// An 8-bit sRGB colour.
public struct RGBColor: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Creates a colour from a 24-bit 0xRRGGBB value.
    public init(hex: UInt32) {
        red = UInt8(truncatingIfNeeded: hex >> 16)
        green = UInt8(truncatingIfNeeded: hex >> 8)
        blue = UInt8(truncatingIfNeeded: hex)
    }

    /// Creates the gray with `value` in all three channels.
    public init(gray value: UInt8) {
        self.init(red: value, green: value, blue: value)
    }

    public static let white = RGBColor(gray: 255)
    public static let black = RGBColor(gray: 0)
    public static let darkGray = RGBColor(gray: 64)
    public static let mediumGray = RGBColor(gray: 128)
    public static let lightGray = RGBColor(gray: 225)
}

/// The colour of each class id: class k always gets `colors[k % colors.count]`, so a
/// class keeps its colour across epochs and across files with the same class list.
public enum ClassPalette {
    /// The ten Tableau colours (Matplotlib's "tab10") and then their light variants from
    /// "tab20". NOTE: more than 20 classes reuse colours, so the legend alone no longer
    /// identifies a class by colour.
    public static let colors: [RGBColor] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
        0xAEC7E8, 0xFFBB78, 0x98DF8A, 0xFF9896, 0xC5B0D5,
        0xC49C94, 0xF7B6D2, 0xC7C7C7, 0xDBDB8D, 0x9EDAE5,
    ].map { RGBColor(hex: $0) }

    public static func color(forClass classID: Int) -> RGBColor {
        precondition(classID >= 0, "class id \(classID) is negative")
        return colors[classID % colors.count]
    }
}
