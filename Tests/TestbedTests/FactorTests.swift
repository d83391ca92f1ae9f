import Foundation
import Testing
import Torch
@testable import Testbed

/// Identity factors stay fixed across variations; pose moves the features and their masks as a turned head does;
/// the attributes say what is drawn; every mask class appears.
@Suite("Testbed factors")
struct FactorTests {
    @Test func identityFactorsStayAcrossVariations() {
        let a = TestbedSample(split: .train, identity: 17, variation: 0).face
        let b = TestbedSample(split: .train, identity: 17, variation: 5).face
        let other = TestbedSample(split: .train, identity: 18, variation: 0).face
        #expect(a.identity == b.identity)
        #expect(a.variation != b.variation)
        #expect(a.identity != other.identity)
        #expect(a.variation.yaw != b.variation.yaw && a.variation.backgroundTop != b.variation.backgroundTop)
        for attribute in TestbedAttribute.allCases where attribute.isIdentity {
            #expect(attribute.value(of: a) == attribute.value(of: b), "\(attribute)")
        }
    }

    /// The mean (x, y) in image units of a class's pixels in mask `i`, and how many there are.
    static func centroid(_ masks: Tensor, _ i: Int, _ label: FaceClass) throws -> (x: Double, y: Double, count: Double) {
        let size = masks.size(2)
        let hit = try masks.select(0, i).eq(Double(label.rawValue)).to(dtype: .float32)
        let count = try hit.sum().item()
        let ramp = try Tensor.arange(0, Double(size)) * (2 / Double(size)) + (1 / Double(size) - 1)
        let x = try (hit * ramp.view([1, size])).sum().item() / max(count, 1)
        let y = try (hit * ramp.view([size, 1])).sum().item() / max(count, 1)
        return (x, y, count)
    }

    @Test func poseMovesTheMaskConsistently() throws {
        var face = TestbedSample(split: .train, identity: 2, variation: 0).face
        face.variation.glasses = false
        face.variation.hat = false
        face.variation.yaw = 0
        face.variation.pitch = 0
        face.variation.roll = 0
        func posed(yaw: Float = 0, pitch: Float = 0, roll: Float = 0) -> TestbedFace {
            var f = face
            f.variation.yaw = yaw
            f.variation.pitch = pitch
            f.variation.roll = roll
            return f
        }
        let faces = [posed(), posed(yaw: 25), posed(yaw: -25), posed(pitch: 12), posed(roll: 9)]
        let masks = try TestbedRenderer(size: 128).render(faces: faces).masks
        let nose = try (0..<faces.count).map { try Self.centroid(masks, $0, .nose) }
        let head = try (0..<faces.count).map { try Self.centroid(masks, $0, .skin) }
        // Yaw turns the face sideways: the nose, standing off the face, moves most; the head outline barely.
        #expect(nose[1].x - nose[0].x > 0.08 && nose[0].x - nose[2].x > 0.08, "\(nose.map(\.x))")
        #expect(abs(head[1].x - head[0].x) < nose[1].x - nose[0].x)
        // Pitch down moves the nose down; yaw keeps its height.
        #expect(nose[3].y - nose[0].y > 0.04, "\(nose.map(\.y))")
        #expect(abs(nose[1].y - nose[0].y) < 0.03)
        // Roll (clockwise) lowers the subject's left eye (image right) relative to the right eye.
        let left = try Self.centroid(masks, 4, .leftEye), right = try Self.centroid(masks, 4, .rightEye)
        let left0 = try Self.centroid(masks, 0, .leftEye), right0 = try Self.centroid(masks, 0, .rightEye)
        #expect(left.x > right.x && left0.x > right0.x)
        #expect(abs(left0.y - right0.y) < 0.02)
        let tilt = atan2(left.y - right.y, left.x - right.x) * 180 / .pi
        #expect((6...12).contains(tilt), "the line through the eyes turns by \(tilt) degrees for a roll of 9")
        // The far ear hides as the head turns.
        #expect(try Self.centroid(masks, 0, .leftEar).count > 0 && Self.centroid(masks, 0, .rightEar).count > 0)
        #expect(try Self.centroid(masks, 1, .leftEar).count == 0)
    }

    static let sample = (0..<160).map { TestbedSplit.train.sample(at: $0 * 7) }

    @Test func everyMaskClassAppearsInAModestSample() throws {
        let masks = try TestbedRenderer(size: 64).render(Self.sample).masks
        let present = Set(try masks.int64s())
        let missing = FaceClass.allCases.filter { !present.contains(Int64($0.rawValue)) }
        #expect(missing.isEmpty, "\(missing)")
    }

    @Test func attributesMatchWhatIsDrawn() throws {
        let batch = try TestbedRenderer(size: 64).render(Self.sample)
        let attributes = try batch.attributes.floats()
        let width = TestbedAttribute.allCases.count
        func column(_ a: TestbedAttribute, _ i: Int) -> Float {
            attributes[i * width + TestbedAttribute.allCases.firstIndex(of: a)!]
        }
        var seen: [TestbedAttribute: Int] = [:]
        for i in Self.sample.indices {
            let has = { (label: FaceClass) in try Self.centroid(batch.masks, i, label).count > 0 }
            for (attribute, label) in [(TestbedAttribute.glasses, FaceClass.eyeGlasses), (.hat, .hat), (.necklace, .necklace)] {
                #expect((column(attribute, i) == 1) == (try has(label)), "sample \(i): \(attribute)")
                if column(attribute, i) == 1 { seen[attribute, default: 0] += 1 }
            }
            if column(.earrings, i) == 0 { #expect(try !has(.earring), "sample \(i): earrings") }
            if column(.bald, i) == 1 { #expect(try !has(.hair), "sample \(i): bald") }
            if column(.longHair, i) == 1 { #expect(try has(.hair), "sample \(i): long hair") }
            if column(.mouthOpen, i) == 1 { #expect(try Self.centroid(batch.masks, i, .mouth).count >= 4, "sample \(i): mouth") }
        }
        #expect(seen.count == 3, "\(seen)")
        // Binary attributes are 0 or 1; continuous ones stay in their ranges.
        for i in Self.sample.indices {
            for attribute in TestbedAttribute.allCases {
                let value = column(attribute, i)
                #expect(attribute.isBinary ? (value == 0 || value == 1) : attribute.range.contains(value), "\(attribute) \(value)")
            }
        }
    }

    @Test func glassesAndSmilesAreDrawnWhereTheFactorsSay() throws {
        var plain = TestbedSample(split: .test, identity: 1_000_003, variation: 2).face
        plain.variation.glasses = false
        plain.variation.smile = 0
        plain.variation.mouthOpen = 0
        var changed = plain
        changed.variation.glasses = true
        changed.variation.mouthOpen = 1
        let batch = try TestbedRenderer(size: 64).render(faces: [plain, changed])
        #expect(try Self.centroid(batch.masks, 0, .eyeGlasses).count == 0)
        #expect(try Self.centroid(batch.masks, 1, .eyeGlasses).count > 20)
        #expect(try Self.centroid(batch.masks, 1, .mouth).count > Self.centroid(batch.masks, 0, .mouth).count + 5)
        #expect(try batch.identities.int64s() == [1_000_003, 1_000_003])
    }

    @Test func unknownSizesAndEmptyBatchesAreRefused() throws {
        #expect(throws: TestbedError.self) { try TestbedRenderer(size: 100) }
        #expect(throws: TestbedError.self) { try TestbedRenderer(size: 64).render([]) }
        #expect(throws: TestbedError.self) { try TestbedRenderer(size: 64).render(split: .test, indices: 0..<(TestbedSplit.test.count + 1)) }
        for size in TestbedRenderer.sizes {
            #expect(try TestbedRenderer(size: size).render(split: .train, indices: 0..<1).images.shape == [1, 3, size, size])
        }
    }

    /// Every size draws the same face: a render pooled to the next size down matches that size's render, and the
    /// masks agree but for outlines.
    @Test func sizesDrawTheSameFace() throws {
        let samples = (0..<2).map { TestbedSplit.test.sample(at: 17 * $0) }
        for (small, large) in zip(TestbedRenderer.sizes, TestbedRenderer.sizes.dropFirst()) {
            let a = try TestbedRenderer(size: small).render(samples), b = try TestbedRenderer(size: large).render(samples)
            let pooled = try F.adaptiveAvgPool2d(b.images, (small, small))
            let difference = try (pooled - a.images).abs().mean().item()
            #expect(difference < 0.02, "\(large) px pooled to \(small) px: mean difference \(difference)")
            let nearest = try b.masks.view([2, small, 2, small, 2])
                .select(2, 0).select(3, 0)  // [N, small, small]: the top-left pixel of each 2x2 block
            let agreement = try nearest.eq(a.masks).to(dtype: .float32).mean().item()
            #expect(agreement > 0.95, "masks at \(small) and \(large) px agree on \(agreement) of the pixels")
        }
    }
}
