import Torch

/// Eigenvectors are defined up to sign; fixing it (largest-magnitude entry positive) makes the directions
/// a file holds the same from run to run and from device to device.
enum Signs {
    /// rows [K, D] -> the same rows, each flipped so that its largest-magnitude entry is positive.
    static func canonical(_ rows: Tensor) throws -> Tensor {
        let index = try rows.abs().argmax(1, keepdim: true)
        let sign = try rows.gather(1, index).sign()
        return try rows * Tensor.where(sign.eq(0), sign.onesLike(), sign)
    }
}
