import Images
import Testing
import Torch

@Suite("Images as tensors")
struct ImageTensorTests {
    @Test("8-bit samples map to v / 255 * 2 - 1")
    func eightBitToTensor() throws {
        let image = try Image(width: 2, height: 1, channels: 3, bitDepth: 8, pixels: [0, 255, 128, 64, 1, 254])
        let tensor = try image.tensor()
        #expect(tensor.shape == [1, 3, 1, 2])
        #expect(tensor.dtype == .float32)
        // [1, 3, H, W]: channel-major, so R of both pixels first.
        let expected: [Float] = [0, 64, 255, 1, 128, 254].map { Float($0) / 255 * 2 - 1 }
        let values = try tensor.floats()
        #expect(values[0] == -1 && values[2] == 1)
        for (value, want) in zip(values, expected) { #expect(abs(value - want) < 1e-6) }
    }

    @Test("16-bit samples map to v / 65535 * 2 - 1")
    func sixteenBitToTensor() throws {
        let image = try Image(width: 3, height: 1, channels: 1, bitDepth: 16, pixels: [0, 65535, 32768])
        let values = try image.tensor().floats()
        #expect(values.count == 9)
        #expect(Array(values[0..<2]) == [-1, 1])
        #expect(abs(values[2] - (32768.0 / 65535 * 2 - 1)) < 1e-6)
    }

    @Test("gray is repeated into RGB and alpha is dropped")
    func grayAndAlpha() throws {
        let grayAlpha = try Image(width: 2, height: 1, channels: 2, bitDepth: 8, pixels: [0, 10, 255, 20])
        #expect(try grayAlpha.tensor().floats() == [-1, 1, -1, 1, -1, 1])
        let rgba = try Image(width: 1, height: 1, channels: 4, bitDepth: 8, pixels: [255, 0, 255, 0])
        #expect(try rgba.tensor().floats() == [1, -1, 1])
    }

    @Test("back to 8 bits: clamp, (x + 1) / 2 * 255, round half away from zero")
    func tensorToEightBit() throws {
        let values: [Float] = [-1, 1, 0, 2, -3, .nan, 0.5, -0.999]
        let image = try Image(tensor: Tensor(values, shape: [1, 1, 1, 8]))
        #expect(image.channels == 1 && image.width == 8 && image.height == 1 && image.bitDepth == 8)
        // 0.5 -> 191.25 -> 191; -0.999 -> 0.1275 -> 0.
        #expect(image.pixels == [0, 255, 128, 255, 0, 0, 191, 0])
    }

    @Test("back to 16 bits")
    func tensorToSixteenBit() throws {
        let image = try Image(tensor: Tensor([Float(-1), 1, 0], shape: [1, 1, 3]), bitDepth: 16)
        // 0 -> 32767.5, which rounds up.
        #expect(image.pixels == [0, 65535, 32768])
    }

    @Test("[3, H, W] and [1, 3, H, W] give interleaved RGB")
    func rgbLayouts() throws {
        let chw = try Tensor([Float(-1), 1, 0, 1, -1, 0], shape: [3, 1, 2])
        let image = try Image(tensor: chw)
        #expect(image.channels == 3)
        #expect(image.pixels == [0, 128, 0, 255, 255, 128])  // pixels (R, G, B) = (-1, 0, -1), (1, 1, 0)
        #expect(try Image(tensor: chw.unsqueeze(0)) == image)
    }

    @Test("image -> tensor -> image is lossless", arguments: [8, 16])
    func roundTrip(bitDepth: Int) throws {
        let image = try testImage(width: 9, height: 5, channels: 3, bitDepth: bitDepth)
        #expect(try Image(tensor: image.tensor(), bitDepth: bitDepth) == image)
    }

    @Test("a batch gives one image per item")
    func batch() throws {
        let batch = try Tensor.cat([Tensor.full([1, 3, 2, 2], -1), Tensor.full([1, 3, 2, 2], 1)])
        let images = try Image.images(from: batch)
        #expect(images.count == 2)
        #expect(images[0].pixels == [UInt16](repeating: 0, count: 12))
        #expect(images[1].pixels == [UInt16](repeating: 255, count: 12))
    }

    @Test("tensors that are no image are refused")
    func badShapes() throws {
        #expect(imageError { _ = try Image(tensor: Tensor.zeros([2, 3, 4, 4])) }?.kind == .invalid)
        #expect(imageError { _ = try Image(tensor: Tensor.zeros([5, 4, 4])) }?.kind == .invalid)
        #expect(imageError { _ = try Image(tensor: Tensor.zeros([4, 4])) }?.kind == .invalid)
        #expect(imageError { _ = try Image(tensor: Tensor.zeros([3, 4, 4]), bitDepth: 10) }?.kind == .invalid)
        #expect(imageError { _ = try Image.images(from: Tensor.zeros([3, 4, 4])) }?.kind == .invalid)
    }
}
