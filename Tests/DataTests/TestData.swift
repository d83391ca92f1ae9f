import Foundation
import Images
import Testing
import Torch

@testable import Data

/// Runs `body` with a fresh folder under the system temporary folder, removed afterwards.
func withTemporaryFolder<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "DataTests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// A file of this target's Resources folder, read from the source tree.
func resource(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/" + name).path
}

/// An 8-bit image whose samples depend on `seed`, the position and the channel, so no two look alike.
func patternImage(width: Int, height: Int, seed: Int, channels: Int = 3) throws -> Image {
    var pixels: [UInt16] = []
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels { pixels.append(UInt16((seed * 37 + x * 11 + y * 23 + c * 67) % 256)) }
        }
    }
    return try Image(width: width, height: height, channels: channels, bitDepth: 8, pixels: pixels)
}

/// `image` as the bytes of a PNG (or, by `name`'s extension, JPEG) file.
func encoded(_ image: Image, name: String = "image.png") throws -> [UInt8] {
    try withTemporaryFolder { folder in
        try image.write(to: folder + "/" + name)
        return [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
    }
}

/// Writes `bytes` at `path`, creating the folders above it.
func writeFile(_ bytes: [UInt8], to path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes `count` PNG pattern images of size x size (seeds 0..<count) as `folder/img00.png`, ...
func writeImageFolder(_ folder: String, count: Int, size: Int) throws {
    for index in 0..<count {
        try writeFile(try encoded(patternImage(width: size, height: size, seed: index)),
                      to: folder + "/img\(String(format: "%02d", index)).png")
    }
}

/// The training image an 8-bit image file should become unchanged: [3, H, W].
func expected(_ image: Image) throws -> Tensor { try image.tensor().squeeze(0) }

/// The error `body` throws, if it is a `DataError`.
func dataError(_ body: () throws -> Void) -> DataError? {
    do {
        try body()
        return nil
    } catch {
        return error as? DataError
    }
}

/// Whether two tensors hold exactly the same values.
func same(_ a: Tensor, _ b: Tensor) throws -> Bool { try a.shape == b.shape && a.floats() == b.floats() }
