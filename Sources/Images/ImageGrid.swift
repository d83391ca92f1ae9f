import Torch

/// Lays images out in one image, row by row, as torchvision's `make_grid`: for sample sheets and
/// before/after comparisons.
///
/// - Parameters:
///   - images: images [C, H, W] and batches [N, C, H, W], all with the same C, H and W, taken in order.
///   - columns: images per row; by default the smallest count that makes the grid about square.
///   - padding: pixels of `background` around every image, between neighbours and at the border.
///   - background: the fill value, in the images' range (-1 is black for [-1, 1] images).
/// - Returns: [1, C, rows * (H + padding) + padding, columns * (W + padding) + padding], on the device
///   and with the dtype of the first image.
public func imageGrid(_ images: [Tensor], columns: Int? = nil, padding: Int = 2, background: Double = -1) throws
    -> Tensor
{
    var cells: [Tensor] = []
    for image in images {
        switch image.rank {
        case 3: cells.append(image)
        case 4: cells += try image.unbind(0)
        default: throw ImageError(.invalid, "grid takes images [C, H, W] or [N, C, H, W], got shape \(image.shape)")
        }
    }
    guard let first = cells.first else { throw ImageError(.invalid, "grid of no images") }
    let shape = first.shape
    if let other = cells.first(where: { $0.shape != shape }) {
        throw ImageError(.invalid, "grid images differ in shape: \(shape) and \(other.shape)")
    }
    let squareColumns = Int(Double(cells.count).squareRoot().rounded(.up))
    let columns = min(columns ?? squareColumns, cells.count)
    guard columns > 0, padding >= 0 else {
        throw ImageError(.invalid, "grid needs at least one column and no negative padding")
    }
    let rows = (cells.count + columns - 1) / columns
    let (c, h, w) = (shape[0], shape[1], shape[2])
    let grid = try Tensor.full([c, rows * (h + padding) + padding, columns * (w + padding) + padding], background,
                               dtype: first.dtype, device: first.device)
    for (index, cell) in cells.enumerated() {
        let top = (index / columns) * (h + padding) + padding
        let left = (index % columns) * (w + padding) + padding
        // narrow gives views into `grid`, so copy_ writes the cell in place.
        try grid.narrow(1, start: top, length: h).narrow(2, start: left, length: w).copy_(cell)
    }
    return try grid.unsqueeze(0)
}

/// `imageGrid` for images: each goes through `tensor()` (gray becomes RGB, alpha is dropped) and the
/// grid comes back at the highest bit depth among them. `background` is in [-1, 1].
public func imageGrid(_ images: [Image], columns: Int? = nil, padding: Int = 2, background: Double = -1) throws
    -> Image
{
    let tensors = try images.map { try $0.tensor() }
    let grid = try imageGrid(tensors, columns: columns, padding: padding, background: background)
    return try Image(tensor: grid, bitDepth: images.map(\.bitDepth).max() ?? 8)
}
