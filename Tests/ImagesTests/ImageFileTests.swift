import Images
import Testing

/// A deterministic image whose samples cover 0, the maximum and values in between.
func testImage(width: Int, height: Int, channels: Int, bitDepth: Int) throws -> Image {
    let max = bitDepth == 16 ? 65535 : 255
    var pixels = (0..<width * height * channels).map { UInt16((($0 * 7919) ^ ($0 >> 3)) % (max + 1)) }
    pixels[0] = 0
    pixels[pixels.count - 1] = UInt16(max)
    return try Image(width: width, height: height, channels: channels, bitDepth: bitDepth, pixels: pixels)
}

/// A smooth image (what JPEG is made for): diagonal ramps, different per channel.
func gradientImage(width: Int, height: Int, channels: Int) throws -> Image {
    var pixels: [UInt16] = []
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                pixels.append(UInt16((x * 255 / (width - 1) + y * 255 / (height - 1) + c * 60) / 2 % 256))
            }
        }
    }
    return try Image(width: width, height: height, channels: channels, bitDepth: 8, pixels: pixels)
}

@Suite("Reading and writing image files")
struct ImageFileTests {
    @Test("PNG round trip is bit-exact", arguments: [8, 16], 1...4)
    func pngRoundTrip(bitDepth: Int, channels: Int) throws {
        let folder = try TemporaryDirectory()
        let image = try testImage(width: 13, height: 7, channels: channels, bitDepth: bitDepth)
        let path = folder.file("image.png")
        try image.write(to: path)
        let back = try Image.read(path: path)
        #expect(back == image)
        #expect(try Image.decode(folder.read("image.png")) == image)
    }

    @Test("16-bit PNG samples are big-endian in the file and host order in memory")
    func sixteenBitByteOrder() throws {
        let png = HandMadePNG.make(width: 2, height: 1, bitDepth: 16, colorType: HandMadePNG.colorGray,
                                   scanlines: [[0x01, 0x02, 0xFF, 0xFE]])
        let image = try Image.decode(png)
        #expect(image.bitDepth == 16 && image.channels == 1)
        #expect(image.pixels == [0x0102, 0xFFFE])
    }

    @Test("palette PNGs expand to RGB, or RGBA with tRNS")
    func palette() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        // 2-bit indices, 2x2: row 0 = [0, 1], row 1 = [2, 3]; each row packed into one byte, high bits first.
        let rows: [[UInt8]] = [[0b0001_0000], [0b1011_0000]]
        let rgb = try Image.decode(HandMadePNG.make(width: 2, height: 2, bitDepth: 2,
                                                    colorType: HandMadePNG.colorPalette, before: [("PLTE", palette)],
                                                    scanlines: rows))
        #expect(rgb.channels == 3 && rgb.bitDepth == 8 && rgb.width == 2 && rgb.height == 2)
        #expect(rgb.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])

        let rgba = try Image.decode(HandMadePNG.make(width: 2, height: 2, bitDepth: 2,
                                                     colorType: HandMadePNG.colorPalette,
                                                     before: [("PLTE", palette), ("tRNS", [0, 128])], scanlines: rows))
        #expect(rgba.channels == 4)
        #expect(rgba.pixels == [255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 10, 20, 30, 255])
    }

    @Test("1-bit gray expands to 8-bit 0 and 255")
    func lowBitGray() throws {
        let png = HandMadePNG.make(width: 3, height: 1, bitDepth: 1, colorType: HandMadePNG.colorGray,
                                   scanlines: [[0b1010_0000]])
        let image = try Image.decode(png)
        #expect(image.bitDepth == 8 && image.channels == 1)
        #expect(image.pixels == [255, 0, 255])
    }

    @Test("Adam7-interlaced PNGs are de-interlaced")
    func interlaced() throws {
        let pixel = { (x: Int, y: Int) -> [UInt8] in [UInt8(x * 30), UInt8(y * 30), UInt8(x * 8 + y)] }
        let png = HandMadePNG.make(width: 8, height: 8, bitDepth: 8, colorType: HandMadePNG.colorRGB, interlaced: true,
                                   scanlines: HandMadePNG.adam7(width: 8, height: 8, pixel: pixel))
        let image = try Image.decode(png)
        let expected = (0..<8).flatMap { y in (0..<8).flatMap { x in pixel(x, y).map(UInt16.init) } }
        #expect(image.width == 8 && image.height == 8 && image.channels == 3)
        #expect(image.pixels == expected)
    }

    @Test("JPEG round trip stays close on a smooth image", arguments: [1, 3])
    func jpegRoundTrip(channels: Int) throws {
        let folder = try TemporaryDirectory()
        let image = try gradientImage(width: 64, height: 48, channels: channels)
        let path = folder.file("photo.jpg")
        try image.write(to: path)  // quality 95 from the extension
        let back = try Image.read(path: path)
        #expect(back.width == 64 && back.height == 48 && back.channels == channels && back.bitDepth == 8)
        let error = zip(image.pixels, back.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +)
            / Double(image.pixels.count)
        // Quality 95 loses 0.09 levels on average in gray, 2.4 in colour (chroma is subsampled).
        #expect(error < (channels == 1 ? 0.2 : 3), "mean absolute error \(error)")
    }

    @Test("lower JPEG quality gives a smaller file")
    func jpegQuality() throws {
        let folder = try TemporaryDirectory()
        let image = try testImage(width: 32, height: 32, channels: 3, bitDepth: 8)
        try image.write(to: folder.file("high.jpg"), format: .jpeg(quality: 100))
        try image.write(to: folder.file("low.jpg"), format: .jpeg(quality: 10))
        #expect(try folder.read("low.jpg").count < folder.read("high.jpg").count)
    }

    @Test("the format is recognised by content, not by name")
    func formatByContent() throws {
        let folder = try TemporaryDirectory()
        let image = try testImage(width: 5, height: 4, channels: 3, bitDepth: 16)
        let path = folder.file("actually-png.jpg")
        try image.write(to: path, format: .png)
        #expect(try Image.read(path: path) == image)

        let gray = try gradientImage(width: 16, height: 16, channels: 1)
        let jpegPath = folder.file("actually-jpeg.png")
        try gray.write(to: jpegPath, format: .jpeg(quality: 90))
        #expect(try Image.read(path: jpegPath).channels == 1)
    }

    @Test("the format follows the extension, in any case")
    func formatFromExtension() {
        #expect(ImageFormat(path: "a/b.PNG") == .png)
        #expect(ImageFormat(path: "b.jpeg") == .jpeg(quality: 95))
        #expect(ImageFormat(path: "dir.jpg/b.Jpg") == .jpeg(quality: ImageFormat.defaultJPEGQuality))
        #expect(ImageFormat(path: "photo.tiff") == nil)
        #expect(ImageFormat(path: "png") == nil)
        #expect(ImageFormat(path: "dir.png/file") == nil)
    }
}
