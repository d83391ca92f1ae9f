import Checkpoints
import Foundation
import Images
import Testing
import Torch

@testable import Data

@Suite("The data loader")
struct DataLoaderTests {
    /// A folder of `count` 8 x 8 pattern images (image i has seed i).
    func folderDataset(_ folder: String, count: Int) throws -> ImageDataset {
        try writeImageFolder(folder, count: count, size: 8)
        return try ImageDataset.open(folder, options: DatasetOptions(size: 8))
    }

    func batches(_ loader: DataLoader, _ count: Int) throws -> [Batch] { try (0..<count).map { _ in try loader.next() } }

    func expectSame(_ a: [Batch], _ b: [Batch]) throws {
        #expect(a.map(\.indices) == b.map(\.indices))
        #expect(a.map(\.flipped) == b.map(\.flipped))
        for (x, y) in zip(a, b) { #expect(try same(x.images, y.images)) }
    }

    @Test("batches hold the images they name, [B, 3, S, S] float32 in [-1, 1], flipped where they say")
    func contents() throws {
        try withTemporaryFolder { folder in
            let dataset = try folderDataset(folder, count: 7)
            let loader = try DataLoader(dataset: dataset, options: .rosinality(batchSize: 3), seed: 1)
            for batch in try batches(loader, 5) {
                #expect(batch.images.shape == [3, 3, 8, 8])
                #expect(batch.images.dtype == .float32)
                #expect(batch.labels == nil)
                for (slot, index) in batch.indices.enumerated() {
                    var want = try expected(patternImage(width: 8, height: 8, seed: index))
                    if batch.flipped[slot] { want = try want.flip([2]) }
                    #expect(try same(batch.images.select(0, slot), want))
                }
            }
        }
    }

    @Test("each epoch is a fresh permutation; the incomplete last batch is dropped; without shuffling, dataset order")
    func epochs() throws {
        try withTemporaryFolder { folder in
            let dataset = try folderDataset(folder, count: 10)
            let loader = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 3), seed: 5)
            #expect(loader.batchesPerEpoch == 3)
            let epochs = try (0..<3).map { _ in try batches(loader, 3).flatMap(\.indices) }
            for epoch in epochs { #expect(Set(epoch).count == 9) }
            #expect(epochs[0] != epochs[1] && epochs[1] != epochs[2])
            #expect(epochs[0] != Array(0..<9))
            #expect(loader.state == SamplerState(seed: 5, epoch: 3, position: 0))

            let other = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 3), seed: 6)
            #expect(try batches(other, 3).flatMap(\.indices) != epochs[0])
            let ordered = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 4, shuffle: false), seed: 5)
            #expect(try batches(ordered, 3).map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]])
        }
    }

    @Test("the same seed gives the same batches with 1 or 4 threads and any read-ahead")
    func threadCounts() throws {
        try withTemporaryFolder { folder in
            let dataset = try folderDataset(folder, count: 11)
            var options = DataLoaderOptions.rosinality(batchSize: 4)
            options.threads = 1
            options.prefetch = 1
            let one = try batches(DataLoader(dataset: dataset, options: options, seed: 42), 9)
            options.threads = 4
            options.prefetch = 3
            let four = try batches(DataLoader(dataset: dataset, options: options, seed: 42), 9)
            try expectSame(one, four)
        }
    }

    @Test("a loader made from a saved state yields exactly the batches the first one goes on to yield")
    func resume() throws {
        try withTemporaryFolder { folder in
            let dataset = try folderDataset(folder, count: 9)
            let options = DataLoaderOptions.rosinality(batchSize: 4)
            let first = try DataLoader(dataset: dataset, options: options, seed: 3)
            _ = try batches(first, 5)  // two epochs of two batches, and one more
            let saved = try JSONDecoder().decode(SamplerState.self, from: JSONEncoder().encode(first.state))
            #expect(saved == SamplerState(seed: 3, epoch: 2, position: 4))
            let resumed = try DataLoader(dataset: dataset, options: options, state: saved)
            try expectSame(batches(resumed, 6), batches(first, 6))
        }
    }

    @Test("random flips are drawn per epoch and item; mirroring doubles the dataset with every mirror image")
    func flips() throws {
        try withTemporaryFolder { folder in
            let dataset = try folderDataset(folder, count: 8)
            let random = try DataLoader(dataset: dataset, options: .rosinality(batchSize: 8), seed: 9)
            let epochs = try batches(random, 6)
            let flips = epochs.flatMap(\.flipped)
            #expect((12...36).contains(flips.filter { $0 }.count), "\(flips.filter { $0 }.count) of 48 flipped")
            let byIndex = epochs.map { batch in Dictionary(uniqueKeysWithValues: zip(batch.indices, batch.flipped)) }
            #expect(Set(byIndex).count > 1)
            let none = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 8), seed: 9)
            #expect(try none.next().flipped.allSatisfy { !$0 })

            let mirror = try DataLoader(dataset: dataset, options: .styleGAN2ADA(batchSize: 4, mirror: true), seed: 9)
            #expect(mirror.batchesPerEpoch == 4)
            let epoch = try batches(mirror, 4)
            let pairs = zip(epoch.flatMap(\.indices), epoch.flatMap(\.flipped)).map { "\($0)\($1)" }
            #expect(Set(pairs) == Set((0..<8).flatMap { ["\($0)false", "\($0)true"] }))
        }
    }

    @Test("labels come with their images")
    func labels() throws {
        try withTemporaryFolder { folder in
            try writeImageFolder(folder, count: 4, size: 8)
            let json = #"{"labels": [["img00.png", 0], ["img01.png", 3], ["img02.png", 1], ["img03.png", 2]]}"#
            try writeFile(Array(json.utf8), to: folder + "/dataset.json")
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 8))
            let batch = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 4), seed: 2).next()
            let classes = [0, 3, 1, 2]
            let want = batch.indices.flatMap { index in (0..<4).map { Float($0 == classes[index] ? 1 : 0) } }
            #expect(batch.labels?.shape == [4, 4])
            #expect(try batch.labels?.floats() == want)
        }
    }

    @Test("a bad image stops the loader by name, or is skipped, counted and replaced with skipBad")
    func badImages() throws {
        try withTemporaryFolder { folder in
            try writeImageFolder(folder, count: 6, size: 8)
            try writeFile(Array("broken".utf8), to: folder + "/img03.png")
            try writeFile(try encoded(patternImage(width: 4, height: 4, seed: 0)), to: folder + "/img04.png")
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 8))
            let strict = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 6, shuffle: false), seed: 0)
            let failure = dataError { _ = try strict.next() }
            #expect(failure?.kind == .badImage)
            #expect(failure?.path == folder + "/img03.png")
            let again = dataError { _ = try strict.next() }
            #expect(again == failure)
            #expect(strict.state == SamplerState(seed: 0))

            var options = DataLoaderOptions(batchSize: 3, skipBad: true)
            options.threads = 3
            let lenient = try DataLoader(dataset: dataset, options: options, seed: 4)
            let seen = try batches(lenient, 8).flatMap(\.indices)
            #expect(seen.count == 24)
            #expect(Set(seen) == [0, 1, 2, 5])
            #expect(lenient.skippedImages == [folder + "/img03.png", folder + "/img04.png"])
            options.threads = 1
            let single = try DataLoader(dataset: dataset, options: options, seed: 4)
            #expect(try batches(single, 8).flatMap(\.indices) == seen)
        }
    }

    @Test("no good image, too few images and a state for another dataset are refused")
    func refusals() throws {
        try withTemporaryFolder { folder in
            try writeFile(Array("broken".utf8), to: folder + "/bad/a.png")
            try writeFile(Array("broken".utf8), to: folder + "/bad/b.png")
            let bad = try ImageDataset.open(folder + "/bad", options: DatasetOptions(size: 8))
            let loader = try DataLoader(dataset: bad, options: DataLoaderOptions(batchSize: 1, skipBad: true), seed: 0)
            let nothing = dataError { _ = try loader.next() }
            #expect(nothing?.kind == .noGoodImages)

            let dataset = try folderDataset(folder + "/good", count: 3)
            let tooFew = dataError { _ = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 4), seed: 0) }
            #expect(tooFew?.kind == .empty)
            let mirrored = try DataLoader(dataset: dataset, options: .styleGAN2ADA(batchSize: 4, mirror: true), seed: 0)
            #expect(mirrored.batchesPerEpoch == 1)
            let elsewhere = dataError {
                _ = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 2),
                                   state: SamplerState(seed: 0, epoch: 1, position: 7))
            }
            #expect(elsewhere?.kind == .invalidArgument)
            let noThreads = dataError { _ = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 2, threads: 0), seed: 0) }
            #expect(noThreads?.kind == .invalidArgument)
        }
    }

    @Test("batches are decoded ahead of the one asked for")
    func readAhead() throws {
        try withTemporaryFolder { folder in
            try writeImageFolder(folder, count: 8, size: 8)
            try writeFile(Array("broken".utf8), to: folder + "/img07.png")
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 8))
            // In dataset order the bad image is in the second batch; only read-ahead can find it before it is asked for.
            let loader = try DataLoader(dataset: dataset, options: DataLoaderOptions(batchSize: 4, shuffle: false,
                                                                                     prefetch: 2, skipBad: true), seed: 0)
            let deadline = Date().addingTimeInterval(20)
            while loader.skippedImages.isEmpty && Date() < deadline { usleep(1000) }
            #expect(loader.skippedImages == [folder + "/img07.png"])
            #expect(loader.state == SamplerState(seed: 0))
        }
    }

    @Test("a rosinality LMDB feeds the loader")
    func lmdb() throws {
        let dataset = try ImageDataset.open(resource("rosinality-lmdb"), options: DatasetOptions(size: 16))
        let batch = try DataLoader(dataset: dataset, options: .rosinality(batchSize: 2), seed: 0).next()
        #expect(batch.images.shape == [2, 3, 16, 16])
        let range = try (batch.images.min().item(), batch.images.max().item())
        #expect(range.0 >= -1 && range.1 <= 1)
    }
}
