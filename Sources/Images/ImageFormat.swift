/// The file formats `Image` writes.
public enum ImageFormat: Equatable, Sendable {
    /// Lossless; 8 or 16 bits, gray, gray+alpha, RGB or RGBA.
    case png
    /// Lossy; 8-bit gray or RGB only. Quality 1...100; libjpeg's default 4:2:0 chroma subsampling.
    case jpeg(quality: Int)

    /// The JPEG quality used when the format comes from a ".jpg" or ".jpeg" name.
    public static let defaultJPEGQuality = 95

    /// The format a file name asks for: ".png", or ".jpg"/".jpeg" at `defaultJPEGQuality`, in any case.
    public init?(path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg(quality: ImageFormat.defaultJPEGQuality)
        default: return nil
        }
    }
}
