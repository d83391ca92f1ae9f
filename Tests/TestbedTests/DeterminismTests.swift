import Testing
import Torch
@testable import Testbed

/// Renders depend only on the samples: not on the batch they are in, their order, or the thread count.
@Suite("Testbed determinism", .serialized)
struct DeterminismTests {
    static let samples = [TestbedSample(split: .train, identity: 3, variation: 1),
                          TestbedSample(split: .test, identity: 1_000_007, variation: 9),
                          TestbedSample(split: .wild, identity: 2_000_001, variation: 4),
                          TestbedSample(split: .train, identity: 40, variation: 15)]

    static func bytes(_ batch: TestbedBatch) throws -> [[UInt8]] {
        [try batch.images.bytes(), try batch.masks.bytes(), try batch.attributes.bytes(), try batch.identities.bytes()]
    }

    @Test func sameSamplesSameBytes() throws {
        let a = try TestbedRenderer(size: 64).render(Self.samples)
        let b = try TestbedRenderer(size: 64).render(Self.samples)
        #expect(try Self.bytes(a) == Self.bytes(b))
        // Different samples do differ.
        #expect(try a.images.select(0, 0).bytes() != a.images.select(0, 3).bytes())
    }

    @Test func subsetAndOrderDoNotMatter() throws {
        let renderer = try TestbedRenderer(size: 64)
        let all = try renderer.render(Self.samples)
        let reversed = try renderer.render(Self.samples.reversed())
        let alone = try renderer.render([Self.samples[2]])
        for i in Self.samples.indices {
            #expect(try all.images.select(0, i).bytes() == reversed.images.select(0, Self.samples.count - 1 - i).bytes())
            #expect(try all.masks.select(0, i).bytes() == reversed.masks.select(0, Self.samples.count - 1 - i).bytes())
        }
        #expect(try all.images.select(0, 2).bytes() == alone.images.select(0, 0).bytes())
        // Each shape is painted over the pixels the batch needs; a face rendered alone gets the same bytes.
        let many = (0..<10).map { TestbedSplit.train.sample(at: 37 * $0) }
        let batch = try renderer.render(many)
        for (i, sample) in many.enumerated() {
            let single = try renderer.render([sample])
            #expect(try batch.images.select(0, i).bytes() == single.images.select(0, 0).bytes(), "sample \(i)")
            #expect(try batch.masks.select(0, i).bytes() == single.masks.select(0, 0).bytes(), "sample \(i)")
        }
    }

    @Test func chunkedBatchesMatchSmallOnes() throws {
        let renderer = try TestbedRenderer(size: 256)
        #expect(renderer.chunkSize == 4)
        let whole = try renderer.render(split: .train, indices: 0..<6)
        let tail = try renderer.render(split: .train, indices: 5..<6)
        #expect(whole.images.shape == [6, 3, 256, 256] && whole.identities.shape == [6])
        #expect(try whole.images.select(0, 5).bytes() == tail.images.select(0, 0).bytes())
        #expect(try whole.masks.select(0, 5).bytes() == tail.masks.select(0, 0).bytes())
    }

    @Test func threadCountDoesNotMatter() throws {
        let before = Runtime.threads
        defer { try? Runtime.setThreads(before) }
        try Runtime.setThreads(1)
        let one = try TestbedRenderer(size: 128).render(Self.samples)
        try Runtime.setThreads(2)
        let two = try TestbedRenderer(size: 128).render(Self.samples)
        #expect(try Self.bytes(one) == Self.bytes(two))
    }

    @Test func splitIndicesMapToFixedDisjointIdentities() throws {
        let n = TestbedSplit.variationsPerIdentity
        #expect(TestbedSplit.train.sample(at: 2 * n + 3) == TestbedSample(split: .train, identity: 2, variation: 3))
        #expect(TestbedSplit.test.sample(at: 0).identity == TestbedSplit.test.identities.lowerBound)
        let ranges = TestbedSplit.allCases.map(\.identities)
        for i in ranges.indices {
            for j in ranges.indices where i < j { #expect(!ranges[i].overlaps(ranges[j])) }
        }
        let renderer = try TestbedRenderer(size: 64)
        let byIndex = try renderer.render(split: .test, indices: 5..<7)
        let bySample = try renderer.render([TestbedSplit.test.sample(at: 5), TestbedSplit.test.sample(at: 6)])
        #expect(try Self.bytes(byIndex) == Self.bytes(bySample))
    }

    @Test func onlyTheWildSplitIsDegraded() throws {
        let renderer = try TestbedRenderer(size: 64)
        #expect(TestbedSplit.allCases.filter(\.isDegraded) == [.wild])
        var clean = TestbedSplit.wild.sample(at: 0).face
        clean.variation.degraded = false
        let pair = try renderer.render(faces: [TestbedSplit.wild.sample(at: 0).face, clean])
        // The same picture, but the degraded one is blurred, noisy and compressed: close, not equal.
        let difference = try (pair.images.select(0, 0) - pair.images.select(0, 1)).abs().mean().item()
        #expect(difference > 0.005 && difference < 0.2, "\(difference)")
        #expect(try pair.masks.select(0, 0).bytes() == pair.masks.select(0, 1).bytes())
        // degradeAll makes every split photo-like; the wild split is degraded either way.
        let photos = try TestbedRenderer(size: 64, degradeAll: true)
        let train = [TestbedSplit.train.sample(at: 9)], wild = [TestbedSplit.wild.sample(at: 0)]
        #expect(try photos.render(train).images.bytes() != renderer.render(train).images.bytes())
        #expect(try photos.render(wild).images.bytes() == renderer.render(wild).images.bytes())
    }
}
