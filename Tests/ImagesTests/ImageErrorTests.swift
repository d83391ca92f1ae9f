import Foundation
import Images
import Testing

/// Runs `body`, expecting an `ImageError`, and returns it.
func imageError(_ body: () throws -> Void) -> ImageError? {
    do {
        try body()
        Issue.record("expected an ImageError")
    } catch let error as ImageError {
        return error
    } catch {
        Issue.record("expected an ImageError, got \(error)")
    }
    return nil
}

@Suite("Image file errors")
struct ImageErrorTests {
    @Test("a file that is no image names the file")
    func notAnImage() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write(Array("hello, not a picture".utf8), to: "photo.jpg")
        let error = imageError { _ = try Image.read(path: path) }
        #expect(error?.kind == .notAnImage)
        #expect(error?.description == "\(path): not a PNG or JPEG file")
    }

    @Test("an empty file")
    func empty() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write([], to: "empty.png")
        let error = imageError { _ = try Image.read(path: path) }
        #expect(error?.kind == .notAnImage)
        #expect(error?.description == "\(path): empty file")
    }

    @Test("a missing file and a directory cannot be read")
    func unreadable() throws {
        let folder = try TemporaryDirectory()
        let missing = folder.file("missing.png")
        let error = imageError { _ = try Image.read(path: missing) }
        #expect(error?.kind == .cannotRead)
        #expect(error?.description == "\(missing): cannot read: No such file or directory")

        let directory = folder.file("folder.png")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let dirError = imageError { _ = try Image.read(path: directory) }
        #expect(dirError?.kind == .cannotRead)
        #expect(dirError?.description == "\(directory): cannot read: Is a directory")
    }

    @Test("truncated PNGs are reported, at any cut")
    func truncatedPNG() throws {
        let folder = try TemporaryDirectory()
        try testImage(width: 40, height: 30, channels: 3, bitDepth: 8).write(to: folder.file("full.png"))
        let bytes = try folder.read("full.png")
        for cut in [9, 30, bytes.count / 2, bytes.count - 12, bytes.count - 1] {
            let path = try folder.write(Array(bytes.prefix(cut)), to: "a.png")
            let error = imageError { _ = try Image.read(path: path) }
            #expect(error?.kind == .truncated, "cut at \(cut): \(String(describing: error))")
            #expect(error?.description == "\(path): truncated PNG data")
        }
    }

    @Test("a PNG with damaged image data is corrupt")
    func corruptPNG() throws {
        let folder = try TemporaryDirectory()
        try testImage(width: 40, height: 30, channels: 3, bitDepth: 8).write(to: folder.file("full.png"))
        var bytes = try folder.read("full.png")
        bytes[bytes.count / 2] ^= 0x55
        let path = try folder.write(bytes, to: "b.png")
        let error = imageError { _ = try Image.read(path: path) }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.hasPrefix("\(path): corrupt PNG data: ") == true)
    }

    @Test("truncated JPEGs are reported, not filled with gray")
    func truncatedJPEG() throws {
        let folder = try TemporaryDirectory()
        try gradientImage(width: 64, height: 64, channels: 3).write(to: folder.file("full.jpg"))
        let bytes = try folder.read("full.jpg")
        for cut in [3, 100, bytes.count / 2, bytes.count - 2] {
            let path = try folder.write(Array(bytes.prefix(cut)), to: "c.jpg")
            let error = imageError { _ = try Image.read(path: path) }
            #expect(error?.kind == .truncated, "cut at \(cut): \(String(describing: error))")
            #expect(error?.description == "\(path): truncated JPEG data")
        }
    }

    @Test("a JPEG with damaged scan data is corrupt")
    func corruptJPEG() throws {
        let folder = try TemporaryDirectory()
        try gradientImage(width: 64, height: 64, channels: 3).write(to: folder.file("full.jpg"))
        var bytes = try folder.read("full.jpg")
        // Markers inside the entropy-coded data end it early: libjpeg warns and would pad with gray.
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 16, by: 2) { bytes[i] = 0xFF; bytes[i + 1] = 0xD0 }
        let path = try folder.write(bytes, to: "d.jpg")
        let error = imageError { _ = try Image.read(path: path) }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.hasPrefix("\(path): corrupt JPEG data: ") == true)
    }

    /// SOI, SOF and SOS of an 8x8 JPEG, then filler: enough for jpeg_read_header, which is where the
    /// colour space and the precision are checked.
    func jpegHeader(precision: UInt8, components: Int) -> [UInt8] {
        let ids = (1...components).map { UInt8($0) }
        var jpeg: [UInt8] = [0xFF, 0xD8]
        jpeg += [0xFF, precision == 8 ? 0xC0 : 0xC1, 0, UInt8(8 + 3 * components), precision, 0, 8, 0, 8]
        jpeg += [UInt8(components)] + ids.flatMap { [$0, 0x11, 0] }
        jpeg += [0xFF, 0xDA, 0, UInt8(6 + 2 * components), UInt8(components)] + ids.flatMap { [$0, 0] } + [0, 63, 0]
        return jpeg + [UInt8](repeating: 0, count: 64) + [0xFF, 0xD9]
    }

    @Test("CMYK JPEGs are refused as unsupported")
    func cmykJPEG() {
        // Four components and no Adobe marker: libjpeg takes it as CMYK.
        let error = imageError { _ = try Image.decode(jpegHeader(precision: 8, components: 4)) }
        #expect(error?.kind == .unsupported)
        #expect(error?.description == "unsupported JPEG: CMYK and YCCK images are not supported")
        #expect(error?.path == nil)
    }

    @Test("12-bit JPEGs are refused as unsupported")
    func twelveBitJPEG() {
        let error = imageError { _ = try Image.decode(jpegHeader(precision: 12, components: 1)) }
        #expect(error?.kind == .unsupported)
        #expect(error?.description == "unsupported JPEG: 12-bit samples (8-bit only)")
    }

    @Test("oversized images are refused before decoding", arguments: [(40000, 1, 1), (20000, 20000, 4)])
    func tooLarge(width: Int, height: Int, channels: Int) throws {
        let colorTypes: [Int: UInt8] = [1: 0, 4: 6]
        let png = HandMadePNG.make(width: width, height: height, bitDepth: 16,
                                   colorType: try #require(colorTypes[channels]), scanlines: [])
        let error = imageError { _ = try Image.decode(png) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message.hasPrefix("unsupported PNG: \(width) x \(height) pixels") == true)
    }

    @Test("writing into a missing folder fails and leaves nothing")
    func missingFolder() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("out/dir.png")
        let image = try testImage(width: 4, height: 4, channels: 3, bitDepth: 8)
        let error = imageError { try image.write(to: path) }
        #expect(error?.kind == .cannotWrite)
        #expect(error?.description == "\(path): cannot write: No such file or directory")
        #expect(try folder.contents().isEmpty)
    }

    @Test("a write the format cannot hold fails and leaves nothing")
    func invalidWrite() throws {
        let folder = try TemporaryDirectory()
        let rgba = try testImage(width: 4, height: 4, channels: 4, bitDepth: 8)
        let jpegError = imageError { try rgba.write(to: folder.file("x.jpg")) }
        #expect(jpegError?.kind == .invalid)
        #expect(jpegError?.description
            == "\(folder.file("x.jpg")): JPEG holds 8-bit gray or RGB, not 8-bit with 4 channels")

        let quality = imageError { try rgba.write(to: folder.file("y.jpg"), format: .jpeg(quality: 0)) }
        #expect(quality?.kind == .invalid)

        let unknown = imageError { try rgba.write(to: folder.file("z.bmp")) }
        #expect(unknown?.kind == .invalid)
        #expect(try folder.contents().isEmpty)
    }

    @Test("a failing rename removes the temporary file")
    func renameFails() throws {
        let folder = try TemporaryDirectory()
        let directory = folder.file("taken.png")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let image = try testImage(width: 4, height: 4, channels: 1, bitDepth: 8)
        let error = imageError { try image.write(to: directory) }
        #expect(error?.kind == .cannotWrite)
        #expect(error?.description == "\(directory): cannot write: Is a directory")
        #expect(try folder.contents() == ["taken.png"])
    }

    @Test("writing over a file replaces it whole and leaves no temporary files")
    func overwrite() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("same.png")
        let first = try testImage(width: 30, height: 20, channels: 4, bitDepth: 16)
        let second = try testImage(width: 3, height: 2, channels: 1, bitDepth: 8)
        try first.write(to: path)
        try second.write(to: path)
        #expect(try Image.read(path: path) == second)
        #expect(try folder.contents() == ["same.png"])
    }

    @Test("invalid images cannot be made",
          arguments: [(2, 1, 5, 8, [UInt16]()), (2, 1, 1, 12, [0, 0]), (2, 1, 1, 8, [0]), (2, 1, 1, 8, [0, 256]),
                      (0, 1, 1, 8, [])])
    func invalidImages(width: Int, height: Int, channels: Int, bitDepth: Int, pixels: [UInt16]) {
        let error = imageError {
            _ = try Image(width: width, height: height, channels: channels, bitDepth: bitDepth, pixels: pixels)
        }
        #expect(error?.kind == .invalid)
    }
}
