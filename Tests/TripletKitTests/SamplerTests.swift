// The random triplet sampler: valid triplets, the negative-class rules and seeding.

import Testing
@testable import TripletKit

@Suite struct SamplerTests {
    /// Class k contains ids 10k..<10k+size(k). Class 3 is empty and class 4 has one image.
    let members: [[Int32]] = [Array(0..<10), Array(10..<15), Array(20..<22), [], [40]]

    func classOf(_ id: Int) -> Int { id / 10 }

    @Test func tripletsAreValid() throws {
        let sampler = try RandomTripletSampler(classMembers: members)
        #expect(sampler.anchorClasses == [0, 1, 2])
        #expect(sampler.populatedClasses == [0, 1, 2, 4])
        var generator = SplitMix64(seed: 1)
        for _ in 0..<2000 {
            let (triplet, anchorClass, negativeClass) = sampler.sample(using: &generator)
            #expect(triplet.anchor != triplet.positive)
            #expect(classOf(triplet.anchor) == anchorClass)
            #expect(classOf(triplet.positive) == anchorClass)
            #expect(classOf(triplet.negative) == negativeClass)
            #expect(negativeClass != anchorClass)
            #expect(negativeClass != 3)
        }
    }

    @Test func uniformNegativeClasses() throws {
        // With 10 equal classes, each negative class should be drawn about 1/9 of the time
        // for anchor class 0; the tutorial's rule gives class 1 twice the share.
        let tenClasses = (0..<10).map { k in (0..<5).map { Int32(10 * k + $0) } }
        func shares(_ rule: NegativeClassRule) throws -> [Double] {
            let sampler = try RandomTripletSampler(classMembers: tenClasses, negativeRule: rule)
            var generator = SplitMix64(seed: 2)
            var counts = [Int](repeating: 0, count: 10)
            var total = 0
            for _ in 0..<90_000 {
                let draw = sampler.sample(using: &generator)
                guard draw.anchorClass == 0 else { continue }
                counts[draw.negativeClass] += 1
                total += 1
            }
            return counts.map { Double($0) / Double(total) }
        }
        let uniform = try shares(.uniform)
        #expect(uniform[0] == 0)
        for k in 1..<10 { #expect(abs(uniform[k] - 1.0 / 9) < 0.015, "class \(k): \(uniform[k])") }

        let tutorial = try shares(.nextClass)
        #expect(abs(tutorial[1] - 0.2) < 0.015)
        #expect(abs(tutorial[5] - 0.1) < 0.015)
    }

    @Test func seedReproducesTriplets() throws {
        let sampler = try RandomTripletSampler(classMembers: members)
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        var third = SplitMix64(seed: 43)
        let a = sampler.sample(count: 50, using: &first)
        #expect(a == sampler.sample(count: 50, using: &second))
        #expect(a != sampler.sample(count: 50, using: &third))
    }

    @Test func rejectsDatasetsWithoutTriplets() {
        #expect(throws: TripletKitError.self) { try RandomTripletSampler(classMembers: [[1], [2]]) }
        #expect(throws: TripletKitError.self) { try RandomTripletSampler(classMembers: [[1, 2, 3], []]) }
    }
}
