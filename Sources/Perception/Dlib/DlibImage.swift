import Images

/// The interleaved 8-bit RGB bytes dlib reads, [H, W, 3] row-major: gray repeated into the three channels, alpha
/// dropped (as `Image.tensor` does), 16-bit samples rounded to 8 bits.
struct DlibImage {
    let width: Int
    let height: Int
    let bytes: [UInt8]

    init(_ image: Image) {
        let (c, count) = (image.channels, image.width * image.height)
        let eight: (UInt16) -> UInt8 = image.bitDepth == 16
            ? { UInt8((UInt32($0) * 255 + 32767) / 65535) } : { UInt8(truncatingIfNeeded: $0) }
        var bytes = [UInt8](repeating: 0, count: count * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<count {
                for k in 0..<3 { bytes[i * 3 + k] = eight(src[i * c + (c < 3 ? 0 : k)]) }
            }
        }
        (width, height, self.bytes) = (image.width, image.height, bytes)
    }
}
