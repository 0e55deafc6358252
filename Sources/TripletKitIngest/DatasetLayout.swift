// Finds the images of one split in a list of archive or folder entries laid out as
// `<root>/<split>/<class>/<image>`, with at most one wrapper folder above the split
// folders, and numbers the classes.
//
// Rules, applied to every entry name:
// - "\" separates folders like "/" (archives made on Windows), "./" and empty parts are
//   dropped, and each part is put in Unicode NFC (archives made on macOS use NFD).
// - `__MACOSX/`, AppleDouble `._*` files, `.DS_Store`, `Thumbs.db` and `desktop.ini` are
//   operating-system metadata; other names starting with "." are hidden files. Files whose
//   extension is not .png, .jpg, .jpeg or .bmp (any case) are not images. All of these are
//   skipped and counted.
// - Class ids: a class folder named with a decimal number keeps that number as its id, and
//   ids below the largest number without a folder become empty classes named by their
//   number. Other names follow in code-point order. The class folders of every split next
//   to the chosen one count, so the splits of one archive agree on ids.
// - Images are ordered by file name, comparing digit runs by value, then by class id and
//   path, so the order never depends on the order of entries in the archive.

import Foundation
import TripletKit

/// The reason an entry was left out of the packed file.
public enum SkipReason: String, CaseIterable, Sendable {
    case metadata = "operating-system metadata"
    case hidden = "hidden"
    case notImage = "not an image"
    case outsideLayout = "outside <split>/<class>/<image>"
    case undecodable = "not decodable"
}

/// Counts of skipped entries by reason, with the first few names of each.
public struct SkippedEntries: Sendable {
    public static let exampleLimit = 5
    public private(set) var counts: [SkipReason: Int] = [:]
    public private(set) var examples: [SkipReason: [String]] = [:]

    public init() {}

    public var total: Int { counts.values.reduce(0, +) }

    public mutating func add(_ reason: SkipReason, _ name: String) {
        counts[reason, default: 0] += 1
        if examples[reason, default: []].count < Self.exampleLimit {
            examples[reason, default: []].append(name)
        }
    }
}

/// One image of the chosen split.
public struct LayoutEntry: Sendable {
    /// The entry's name as stored, for reading it back and for messages.
    public var name: String
    /// The zip entry index, or -1 for a file in a folder.
    public var index: Int
    public var classID: Int
}

/// A name from an archive or folder listing, before classification.
public struct ListedEntry: Sendable {
    public var name: String
    public var index: Int
    public var isDirectory: Bool

    public init(name: String, index: Int, isDirectory: Bool) {
        self.name = name
        self.index = index
        self.isDirectory = isDirectory
    }
}

public struct DatasetLayout: Sendable {
    /// The split folder as spelled in the input, with its wrapper folder if any.
    public var splitPath: String
    public var classNames: [String]
    /// Images per class id in this split.
    public var classCounts: [Int]
    public var entries: [LayoutEntry]
    public var skipped: SkippedEntries
    /// The other split folders found next to the chosen one, with their image counts.
    public var otherSplits: [(name: String, images: Int)]

    static let metadataNames: Set<String> = [".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"]
    /// The largest class id a numbered folder may keep.
    public static let maximumNumberedClass = 65535

    /// Splits a stored name into normalized folder and file parts.
    static func components(of name: String) -> [String] {
        let isASCII = name.utf8.allSatisfy { $0 < 0x80 }
        return name.utf8.split(omittingEmptySubsequences: true) { $0 == 0x2F || $0 == 0x5C }
            .map { part -> String in
                let text = String(decoding: part, as: UTF8.self)
                // Foundation's normalization is slow, and ASCII is already in NFC.
                return isASCII ? text : text.precomposedStringWithCanonicalMapping
            }
            .filter { $0 != "." }
    }

    /// Classifies a file by its path parts: returns the reason to skip it, or nil for an image.
    static func skipReason(_ parts: [String]) -> SkipReason? {
        if parts.contains("__MACOSX") { return .metadata }
        let file = parts.last ?? ""
        if file.utf8.starts(with: [0x2E, 0x5F]) { return .metadata }  // "._"
        let isImage = hasImageExtension(file)
        // No metadata name ends in an image extension, so images skip the set lookup.
        if !isImage && file.utf8.count <= 11 && metadataNames.contains(file.lowercased()) { return .metadata }
        if parts.contains("..") { return .outsideLayout }
        if parts.contains(where: { $0.utf8.first == 0x2E }) { return .hidden }
        return isImage ? nil : .notImage
    }

    /// Checks for .png, .jpg, .jpeg or .bmp in any letter case, without building strings.
    static func hasImageExtension(_ file: String) -> Bool {
        var reversed: [UInt8] = []
        for byte in file.utf8.reversed() {
            if byte == 0x2E { break }
            if reversed.count == 4 { return false }
            reversed.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
        }
        guard reversed.count < file.utf8.count else { return false }
        switch reversed {
        case [0x67, 0x6E, 0x70], [0x67, 0x70, 0x6A], [0x67, 0x65, 0x70, 0x6A], [0x70, 0x6D, 0x62]: return true  // png jpg jpeg bmp
        default: return false
        }
    }

    /// Resolves `split` among `listed` entries of the input `source` (named in errors).
    public static func resolve(_ listed: [ListedEntry], split: String, source: String) throws -> DatasetLayout {
        var skipped = SkippedEntries()
        // The parts of every image path, stored flat so that a million images do not cost a
        // million small arrays. Image k has the parts imageParts[imageStarts[k]..<imageStarts[k + 1]]
        // and is listed[imageIndices[k]].
        var imageParts: [String] = []
        var imageStarts: [Int] = [0]
        var imageIndices: [Int32] = []
        var folders: [[String]] = []
        var skippedFiles: [[String]] = []
        for (position, entry) in listed.enumerated() {
            let parts = components(of: entry.name)
            if parts.isEmpty { continue }
            if entry.isDirectory {
                if !parts.contains(where: { $0.utf8.first == 0x2E || $0 == "__MACOSX" }) { folders.append(parts) }
                continue
            }
            if let reason = skipReason(parts) {
                skipped.add(reason, entry.name)
                skippedFiles.append(parts)
                continue
            }
            imageParts += parts
            imageStarts.append(imageParts.count)
            imageIndices.append(Int32(truncatingIfNeeded: position))
        }
        // Images in listing order, each with its parts.
        struct ImageIterator: Sequence, IteratorProtocol {
            let parts: [String]
            let starts: [Int]
            var index = 0

            mutating func next() -> [String]? {
                guard index + 1 < starts.count else { return nil }
                defer { index += 1 }
                return Array(parts[starts[index]..<starts[index + 1]])
            }
        }
        var images: ImageIterator { ImageIterator(parts: imageParts, starts: imageStarts) }

        // The split folder: `<split>/<class>/<image>` or `<wrapper>/<split>/<class>/<image>`,
        // with the split name matched without regard to case.
        let wanted = split.precomposedStringWithCanonicalMapping.lowercased()
        var spellings = Set<[String]>()
        for parts in images {
            if parts.count == 3 && parts[0].lowercased() == wanted { spellings.insert([parts[0]]) }
            if parts.count == 4 && parts[1].lowercased() == wanted { spellings.insert([parts[0], parts[1]]) }
        }
        guard !spellings.isEmpty else {
            // The split names that --split would accept, and any folder of that name found
            // deeper than one wrapper, so the message shows what to pass or where to point.
            var splitNames = Set<String>()
            for parts in images where parts.count == 3 { splitNames.insert(parts[0]) }
            for parts in images where parts.count == 4 { splitNames.insert(parts[1]) }
            var deeper = Set<String>()
            for parts in images where parts.count > 4 {
                if let index = parts.dropLast(2).lastIndex(where: { $0.lowercased() == wanted }), index >= 2 {
                    deeper.insert(parts[..<index].joined(separator: "/"))
                }
            }
            let listing = splitNames.isEmpty ? "none" : splitNames.sorted().prefix(8).joined(separator: ", ")
            var message = "'\(source)': no images in a split folder '\(split)': expected <\(split)>/<class>/<image> at the top or under one wrapper folder; split folders found: \(listing)"
            if let folder = deeper.sorted().first {
                message += "; '\(split)' was found deeper, under '\(folder)'"
            }
            let hint = !deeper.isEmpty ? "pass the folder '\(deeper.sorted()[0])' itself (a zip needs repacking with that folder at its top)"
                : splitNames.isEmpty ? "lay the images out as \(split)/<class>/<image>"
                : "pass --split with one of the split folders found"
            throw TripletKitError(message, hint: hint)
        }
        guard spellings.count == 1, let prefix = spellings.first else {
            let names = spellings.map { $0.joined(separator: "/") }.sorted()
            throw TripletKitError("'\(source)': split '\(split)' is ambiguous: found both '\(names[0])' and '\(names[1])'",
                                  hint: "keep one of these folders in the input, or pass the folder itself")
        }
        let depth = prefix.count  // parts before the class folder
        let wrapper = Array(prefix.dropLast())
        func isUnder(_ parts: [String], _ folder: [String]) -> Bool {
            parts.count > folder.count && folder.indices.allSatisfy { parts[$0] == folder[$0] }
        }

        // Class folders of this split and of its sibling splits.
        var classFolders = Set<String>()
        var splitCounts: [String: Int] = [:]
        for parts in images where parts.count == depth + 2 && isUnder(parts, wrapper) {
            classFolders.insert(parts[depth])
            splitCounts[parts[depth - 1], default: 0] += 1
        }
        for parts in folders where parts.count == depth + 1 && isUnder(parts, prefix) {
            classFolders.insert(parts[depth])
        }
        for parts in skippedFiles {
            // A class folder that contains only skipped files still counts (and stays empty).
            if parts.count == depth + 2 && isUnder(parts, prefix) && parts[depth].utf8.first != 0x2E
                && parts[depth] != "__MACOSX" {
                classFolders.insert(parts[depth])
            }
        }
        let (classNames, classIDOf) = try numberClasses(classFolders, source: source)

        // The split's images as (image number, class id), sorted without copying names.
        var chosen: [(image: Int32, classID: Int32)] = []
        var classCounts = [Int](repeating: 0, count: classNames.count)
        for (k, parts) in images.enumerated() where isUnder(parts, prefix) {
            guard parts.count == depth + 2 else {
                skipped.add(.outsideLayout, listed[Int(imageIndices[k])].name)
                continue
            }
            let classID = classIDOf[parts[depth]]!
            classCounts[classID] += 1
            chosen.append((Int32(k), Int32(classID)))
        }
        func fileName(_ k: Int32) -> String { imageParts[imageStarts[Int(k) + 1] - 1] }
        chosen.sort { lhs, rhs in
            let order = naturalCompare(fileName(lhs.image).utf8, fileName(rhs.image).utf8)
            if order != 0 { return order < 0 }
            if lhs.classID != rhs.classID { return lhs.classID < rhs.classID }
            return listed[Int(imageIndices[Int(lhs.image)])].name < listed[Int(imageIndices[Int(rhs.image)])].name
        }
        let entries = chosen.map { choice in
            let entry = listed[Int(imageIndices[Int(choice.image)])]
            return LayoutEntry(name: entry.name, index: entry.index, classID: Int(choice.classID))
        }
        let others = splitCounts.filter { $0.key != prefix[depth - 1] }.sorted { $0.key < $1.key }.map { (name: $0.key, images: $0.value) }
        return DatasetLayout(splitPath: prefix.joined(separator: "/"), classNames: classNames, classCounts: classCounts,
                             entries: entries, skipped: skipped, otherSplits: others)
    }

    /// Numbers class folders: decimal names keep their number, the rest follow in order.
    static func numberClasses(_ folders: Set<String>, source: String) throws -> ([String], [String: Int]) {
        var numbered: [Int: String] = [:]
        var named: [String] = []
        for folder in folders {
            if !folder.isEmpty, folder.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                guard folder.utf8.count <= 6, let number = Int(folder), number <= maximumNumberedClass else {
                    throw TripletKitError("'\(source)': class folder '\(folder)' is numbered beyond the largest class id \(maximumNumberedClass)",
                                          hint: "rename the class folders to small numbers or to names")
                }
                if let other = numbered[number] {
                    throw TripletKitError("'\(source)': class folders '\(other)' and '\(folder)' both name class \(number)",
                                          hint: "merge or rename one of the two folders")
                }
                numbered[number] = folder
            } else {
                named.append(folder)
            }
        }
        var names: [String] = []
        if let largest = numbered.keys.max() {
            names = (0...largest).map { numbered[$0] ?? String($0) }
        }
        names += named.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
        var idOf: [String: Int] = [:]
        for (id, name) in names.enumerated() where folders.contains(name) { idOf[name] = id }
        return (names, idOf)
    }

    /// Compares names with each run of digits taken as a number ("9.png" < "10.png");
    /// returns -1, 0 or 1.
    static func naturalCompare(_ lhs: String, _ rhs: String) -> Int {
        naturalCompare(lhs.utf8, rhs.utf8)
    }

    static func naturalCompare(_ lhs: String.UTF8View, _ rhs: String.UTF8View) -> Int {
        // Native strings, small or not, give contiguous UTF-8 without a copy to the heap.
        lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in naturalCompare(a, b) }
        }.flatMap { $0 } ?? naturalCompare(Array(lhs), Array(rhs))
    }

    static func naturalCompare<Bytes: RandomAccessCollection>(_ a: Bytes, _ b: Bytes) -> Int
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var i = a.startIndex
        var j = b.startIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        while i < a.endIndex && j < b.endIndex {
            if isDigit(a[i]) && isDigit(b[j]) {
                var endA = i
                while endA < a.count && isDigit(a[endA]) { endA += 1 }
                var endB = j
                while endB < b.count && isDigit(b[endB]) { endB += 1 }
                // Compare by value: skip leading zeros, then length, then digits.
                var startA = i
                while startA < endA - 1 && a[startA] == 0x30 { startA += 1 }
                var startB = j
                while startB < endB - 1 && b[startB] == 0x30 { startB += 1 }
                if endA - startA != endB - startB { return endA - startA < endB - startB ? -1 : 1 }
                for k in 0..<(endA - startA) where a[startA + k] != b[startB + k] {
                    return a[startA + k] < b[startB + k] ? -1 : 1
                }
                i = endA
                j = endB
            } else {
                if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
                i += 1
                j += 1
            }
        }
        if a.count - i != b.count - j { return a.count - i < b.count - j ? -1 : 1 }
        return a.lexicographicallyPrecedes(b) ? -1 : (a.elementsEqual(b) ? 0 : 1)
    }
}
