import Images
import Testing
import Torch

@Suite("Image grids")
struct ImageGridTests {
    @Test("cells are laid out row by row with padding and background")
    func layout() throws {
        // Five 3x4x6 images, image i filled with i / 10; three per row -> two rows, one empty cell.
        let images = try (0..<5).map { try Tensor.full([3, 4, 6], Double($0) / 10) }
        let grid = try imageGrid([images[0], Tensor.stack(Array(images[1...]))], columns: 3, padding: 2,
                                 background: -1)
        #expect(grid.shape == [1, 3, 2 * (4 + 2) + 2, 3 * (6 + 2) + 2])
        let plane = try grid.select(0, 0).select(0, 1)  // green channel, [14, 26]
        func at(_ y: Int, _ x: Int) throws -> Double { try plane.select(0, y).select(0, x).item() }
        for i in 0..<5 {
            let top = (i / 3) * 6 + 2, left = (i % 3) * 8 + 2
            #expect(abs(try at(top, left) - Double(i) / 10) < 1e-6)
            #expect(abs(try at(top + 3, left + 5) - Double(i) / 10) < 1e-6)
        }
        #expect(try at(0, 0) == -1)        // border
        #expect(try at(3, 8) == -1)        // gap between the first two cells
        #expect(try at(8, 2 * 8 + 2 + 1) == -1)  // the empty sixth cell
    }

    @Test("the default column count makes a near-square grid")
    func defaultColumns() throws {
        let images = try (0..<5).map { _ in try Tensor.zeros([1, 2, 2]) }
        #expect(try imageGrid(images, padding: 0).shape == [1, 1, 4, 6])
        #expect(try imageGrid(Array(images.prefix(1)), padding: 1).shape == [1, 1, 4, 4])
    }

    @Test("images of different sizes or no images are refused")
    func badInputs() throws {
        #expect(imageError { _ = try imageGrid([Tensor.zeros([3, 2, 2]), Tensor.zeros([3, 2, 3])]) }?.kind == .invalid)
        #expect(imageError { _ = try imageGrid([Tensor]()) }?.kind == .invalid)
        #expect(imageError { _ = try imageGrid([Tensor.zeros([2, 2])]) }?.kind == .invalid)
    }

    @Test("a grid of images is an RGB image at the highest bit depth")
    func images() throws {
        let gray = try Image(width: 2, height: 2, channels: 1, bitDepth: 8, pixels: [255, 255, 255, 255])
        let red = try Image(width: 2, height: 2, channels: 3, bitDepth: 16,
                            pixels: (0..<12).map { $0 % 3 == 0 ? 65535 : 0 })
        let grid = try imageGrid([gray, red], padding: 1)
        #expect(grid.width == 7 && grid.height == 4 && grid.channels == 3 && grid.bitDepth == 16)
        #expect(grid[x: 1, y: 1, channel: 1] == 65535)  // gray cell
        #expect(grid[x: 4, y: 2, channel: 0] == 65535 && grid[x: 4, y: 2, channel: 1] == 0)  // red cell
        #expect(grid[x: 0, y: 0, channel: 0] == 0 && grid[x: 3, y: 1, channel: 2] == 0)  // background
    }
}
