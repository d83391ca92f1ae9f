import Foundation
import Images
import Testing
import Torch

@testable import Data

@Suite("Image folders")
struct ImageFolderSourceTests {
    @Test("images are found recursively in code-point order; hidden files, other files and hidden folders are not")
    func listing() throws {
        try withTemporaryFolder { folder in
            let png = try encoded(patternImage(width: 4, height: 4, seed: 1))
            let jpeg = try encoded(patternImage(width: 4, height: 4, seed: 2), name: "x.jpg")
            for name in ["b/a.png", "a.png", "B.PNG", "c.jpg", "sub/deep/d.jpeg", ".hidden.png", ".git/e.png",
                         "b/.f.png"]
            {
                try writeFile(name.hasSuffix("png") || name.hasSuffix("PNG") ? png : jpeg, to: folder + "/" + name)
            }
            try writeFile(Array("notes".utf8), to: folder + "/notes.txt")
            let source = try ImageFolderSource(path: folder)
            #expect(source.files == ["B.PNG", "a.png", "b/a.png", "c.jpg", "sub/deep/d.jpeg"])
            #expect(source.labels == nil)
            #expect(source.name(of: 2) == folder + "/b/a.png")
        }
    }

    @Test("an image of the training size comes back as the file holds it")
    func readBack() throws {
        try withTemporaryFolder { folder in
            try writeImageFolder(folder, count: 3, size: 8)
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 8))
            #expect(dataset.fit == .centerCropResize)
            #expect(dataset.count == 3)
            for index in 0..<3 {
                let image = try dataset.image(at: index)
                #expect(image.dtype == .float32)
                #expect(try same(image, expected(patternImage(width: 8, height: 8, seed: index))))
                let flipped = try dataset.image(at: index, flipped: true)
                #expect(try same(flipped, image.flip([2])))
            }
        }
    }

    @Test("a larger image is centre-cropped to a square, then resized")
    func cropAndResize() throws {
        try withTemporaryFolder { folder in
            // 12 x 6: the centred 6 x 6 square is pattern seed 5; around it a different pattern.
            let inner = try patternImage(width: 6, height: 6, seed: 5)
            let outer = try patternImage(width: 12, height: 6, seed: 9)
            var pixels = outer.pixels
            for y in 0..<6 { for x in 0..<6 { for c in 0..<3 { pixels[(y * 12 + x + 3) * 3 + c] = inner[x: x, y: y, channel: c] } } }
            try writeFile(try encoded(Image(width: 12, height: 6, channels: 3, bitDepth: 8, pixels: pixels)),
                          to: folder + "/wide.png")
            let same6 = try ImageDataset.open(folder, options: DatasetOptions(size: 6)).image(at: 0)
            #expect(try same(same6, expected(inner)))
            let shrunk = try ImageDataset.open(folder, options: DatasetOptions(size: 3)).image(at: 0)
            let reference = try resize(expected(inner).unsqueeze(0), height: 3, width: 3).clamp(min: -1, max: 1)
            #expect(try same(shrunk, reference.squeeze(0)))
        }
    }

    @Test("gray becomes RGB and alpha is dropped, as PIL's convert(\"RGB\")")
    func channels() throws {
        try withTemporaryFolder { folder in
            let gray = try patternImage(width: 4, height: 4, seed: 3, channels: 1)
            let rgba = try patternImage(width: 4, height: 4, seed: 4, channels: 4)
            try writeFile(try encoded(gray), to: folder + "/1.png")
            try writeFile(try encoded(rgba), to: folder + "/2.png")
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 4))
            let grayOut = try dataset.image(at: 0)
            #expect(grayOut.shape == [3, 4, 4])
            #expect(try same(grayOut.select(0, 0), grayOut.select(0, 2)))
            #expect(try same(grayOut.select(0, 1), expected(gray).select(0, 0)))
            let rgb = try Image(width: 4, height: 4, channels: 3, bitDepth: 8,
                                pixels: (0..<16).flatMap { rgba.pixels[$0 * 4..<$0 * 4 + 3] })
            #expect(try same(dataset.image(at: 1), expected(rgb)))
        }
    }

    @Test("an image smaller than the size is refused by name, or enlarged when upscaling is allowed")
    func tooSmall() throws {
        try withTemporaryFolder { folder in
            try writeFile(try encoded(patternImage(width: 6, height: 5, seed: 1)), to: folder + "/small.png")
            let error = dataError { _ = try ImageDataset.open(folder, options: DatasetOptions(size: 8)).image(at: 0) }
            #expect(error?.kind == .imageTooSmall)
            #expect(error?.path == folder + "/small.png")
            #expect(error?.description.contains("6 x 5") == true)
            let enlarged = try ImageDataset.open(folder, options: DatasetOptions(size: 8, allowUpscale: true))
            #expect(try enlarged.image(at: 0).shape == [3, 8, 8])
        }
    }

    @Test("a corrupt image is an error naming the file")
    func corrupt() throws {
        try withTemporaryFolder { folder in
            var bytes = try encoded(patternImage(width: 8, height: 8, seed: 1))
            bytes.removeLast(bytes.count / 2)
            try writeFile(bytes, to: folder + "/broken.png")
            try writeFile(Array("not an image".utf8), to: folder + "/text.jpg")
            let dataset = try ImageDataset.open(folder, options: DatasetOptions(size: 8))
            for index in 0..<2 {
                let error = dataError { _ = try dataset.image(at: index) }
                #expect(error?.kind == .badImage)
                #expect(error?.path == dataset.source.name(of: index))
            }
        }
    }

    @Test("missing, empty and non-dataset paths are clear errors")
    func badPaths() throws {
        try withTemporaryFolder { folder in
            let missing = dataError { _ = try ImageDataset.open(folder + "/nothing", options: DatasetOptions(size: 8)) }
            #expect(missing?.kind == .notFound)
            try writeFile(Array("x".utf8), to: folder + "/empty/readme.txt")
            let empty = dataError { _ = try ImageDataset.open(folder + "/empty", options: DatasetOptions(size: 8)) }
            #expect(empty?.kind == .empty)
            #expect(empty?.path == folder + "/empty")
            let notFolder = dataError { _ = try ImageFolderSource(path: folder + "/empty/readme.txt") }
            #expect(notFolder?.kind == .notADataset)
            try writeImageFolder(folder + "/ok", count: 1, size: 4)
            let badSize = dataError { _ = try ImageDataset.open(folder + "/ok", options: DatasetOptions(size: 0)) }
            #expect(badSize?.kind == .invalidArgument)
        }
    }
}
