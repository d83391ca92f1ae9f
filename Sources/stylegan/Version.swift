import Torch

/// The toolkit's version, and the libtorch it was built for.
enum StyleGANKitVersion {
    static let number = "0.1.0"
    static var string: String { "stylegan \(number) (libtorch \(Runtime.builtForVersion))" }
}
