import Images
import Testing
import Torch

@Suite("Resizing and cropping image tensors")
struct ResizeTests {
    @Test("resize gives the requested size, shrinking, enlarging or both")
    func shapes() throws {
        let images = try Tensor.rand([2, 3, 64, 48])
        #expect(try resize(images, height: 32, width: 24).shape == [2, 3, 32, 24])
        #expect(try resize(images, height: 128, width: 96).shape == [2, 3, 128, 96])
        #expect(try resize(images, height: 16, width: 100).shape == [2, 3, 16, 100])
        #expect(try resize(images, height: 64, width: 48) === images)
    }

    @Test("a constant image stays constant")
    func constant() throws {
        let images = try Tensor.full([1, 3, 40, 30], 0.25)
        for (h, w) in [(10, 7), (80, 90)] {
            let values = try resize(images, height: h, width: w).floats()
            #expect(values.allSatisfy { abs($0 - 0.25) < 1e-5 })
        }
    }

    @Test("shrinking averages fine detail instead of aliasing it")
    func antialias() throws {
        // A one-pixel checkerboard of -1 and 1: every output pixel of a 4x shrink should be mid-gray.
        let checker = try Tensor((0..<64 * 64).map { Float((($0 / 64) + ($0 % 64)) % 2 == 0 ? 1 : -1) },
                                 shape: [1, 1, 64, 64])
        let small = try resize(checker, height: 16, width: 16)
        let inner = try small.narrow(2, start: 2, length: 12).narrow(3, start: 2, length: 12).floats()
        #expect(inner.allSatisfy { abs($0) < 0.05 }, "largest \(inner.map(abs).max() ?? 0)")
    }

    @Test("bad sizes and shapes are refused")
    func badArguments() throws {
        #expect(imageError { _ = try resize(Tensor.zeros([3, 8, 8]), height: 4, width: 4) }?.kind == .invalid)
        #expect(imageError { _ = try resize(Tensor.zeros([1, 3, 8, 8]), height: 0, width: 4) }?.kind == .invalid)
        #expect(imageError { _ = try centerCrop(Tensor.zeros([1, 3, 8, 8]), height: 9, width: 4) }?.kind == .invalid)
        #expect(imageError { _ = try centerCrop(Tensor.zeros([1, 3, 0, 8]), height: 1, width: 1) }?.kind == .invalid)
    }

    @Test("centre crop takes the middle, odd margins cut at the bottom and right")
    func crop() throws {
        // Value = 10 * row + column.
        let grid = try Tensor((0..<5).flatMap { r in (0..<6).map { Float(10 * r + $0) } }, shape: [1, 1, 5, 6])
        let cropped = try centerCrop(grid, height: 2, width: 3)
        #expect(cropped.shape == [1, 1, 2, 3])
        #expect(try cropped.floats() == [11, 12, 13, 21, 22, 23])

        let square = try centerCrop(grid)
        #expect(square.shape == [1, 1, 5, 5])
        #expect(try square.floats().prefix(5) == [0, 1, 2, 3, 4])

        let tall = try centerCrop(grid.transpose(2, 3))  // 6 x 5
        #expect(tall.shape == [1, 1, 5, 5])
        #expect(try tall.floats().prefix(5) == [0, 10, 20, 30, 40])
    }
}
