// Random triplet sampling, as in the tutorial: a random anchor class, two distinct images
// of it (anchor and positive), and one image of another class (negative).

/// One (anchor, positive, negative) triplet of sample ids.
public struct Triplet: Equatable, Sendable {
    public var anchor: Int
    public var positive: Int
    public var negative: Int

    public init(anchor: Int, positive: Int, negative: Int) {
        self.anchor = anchor
        self.positive = positive
        self.negative = negative
    }
}

/// The rule that draws the negative class once the anchor class is known.
public enum NegativeClassRule: String, CaseIterable, Sendable {
    /// Uniform among the other classes that have samples.
    case uniform
    /// The tutorial's rule: a uniform class, replaced by the next class id when it equals
    /// the anchor class, so the class after the anchor's is drawn twice as often.
    case nextClass = "next-class"
}

/// Draws random triplets from a class index. Anchor classes are the classes with at least
/// two samples; negative classes are the other classes with at least one.
public struct RandomTripletSampler: Sendable {
    public let classMembers: [[Int32]]
    public let negativeRule: NegativeClassRule
    /// Classes that can provide an anchor and a distinct positive.
    public let anchorClasses: [Int]
    /// Classes that can provide a negative.
    public let populatedClasses: [Int]

    public init(classMembers: [[Int32]], negativeRule: NegativeClassRule = .uniform) throws {
        self.classMembers = classMembers
        self.negativeRule = negativeRule
        anchorClasses = classMembers.indices.filter { classMembers[$0].count >= 2 }
        populatedClasses = classMembers.indices.filter { !classMembers[$0].isEmpty }
        guard !anchorClasses.isEmpty else {
            throw TripletKitError("no class has two or more images, so no anchor-positive pair exists")
        }
        guard populatedClasses.count >= 2 else {
            throw TripletKitError("triplets need at least two classes with images; found \(populatedClasses.count)")
        }
    }

    /// Draws one triplet; the draw order (anchor class, anchor, positive, negative class,
    /// negative) is fixed so that a seed reproduces the same triplets.
    public func sample(using generator: inout SplitMix64) -> (triplet: Triplet, anchorClass: Int, negativeClass: Int) {
        let anchorClass = anchorClasses[generator.nextInt(below: anchorClasses.count)]
        let members = classMembers[anchorClass]
        let anchorIndex = generator.nextInt(below: members.count)
        // A uniform pick among the other members keeps anchor and positive distinct.
        let positiveIndex = (anchorIndex + 1 + generator.nextInt(below: members.count - 1)) % members.count

        var negativeClass: Int
        switch negativeRule {
        case .uniform:
            // Uniform over the populated classes other than the anchor's.
            let slot = generator.nextInt(below: populatedClasses.count - 1)
            let anchorSlot = populatedClasses.firstIndex(of: anchorClass)!
            negativeClass = populatedClasses[slot < anchorSlot ? slot : slot + 1]
        case .nextClass:
            let slot = generator.nextInt(below: populatedClasses.count)
            negativeClass = populatedClasses[slot]
            if negativeClass == anchorClass {
                negativeClass = populatedClasses[(slot + 1) % populatedClasses.count]
            }
        }
        let negatives = classMembers[negativeClass]
        let negative = negatives[generator.nextInt(below: negatives.count)]

        let triplet = Triplet(anchor: Int(members[anchorIndex]), positive: Int(members[positiveIndex]),
                              negative: Int(negative))
        return (triplet, anchorClass, negativeClass)
    }

    public func sample(count: Int, using generator: inout SplitMix64) -> [Triplet] {
        (0..<count).map { _ in sample(using: &generator).triplet }
    }
}
