import Foundation

/// The models folder layout (the shipped `Models/testbed64`): `generator.safetensors` (or .pt / .pkl), one encoder
/// file per method named after it (psp.pt, e4e.safetensors, fs.pth.tar, ...) and `directions/` with the
/// `interfacegan_ATTRIBUTE.npy` boundaries. `stylegan evaluate`, `demo` and `serve` all read models this way.
public struct ModelsFolder: Sendable {
    public let path: String
    /// nil when the folder has none. Front ends may override each file (`--checkpoint`, `--encoder`).
    public var generator: String?
    public var encoders: [InversionMethod: String]
    /// The boundaries folder, when there is one.
    public var directions: String?

    public init(_ folder: String) {
        let manager = FileManager.default
        func find(_ stem: String, _ extensions: [String]) -> String? {
            extensions.map { (folder as NSString).appendingPathComponent("\(stem).\($0)") }.first { manager.fileExists(atPath: $0) }
        }
        path = folder
        generator = find("generator", ["safetensors", "pt", "pkl"])
        var encoders: [InversionMethod: String] = [:]
        for method in InversionMethod.allCases where method.family == .encoder {
            encoders[method] = find(method.rawValue, ["safetensors", "pt", "pth", "pth.tar"])
        }
        self.encoders = encoders
        let directions = (folder as NSString).appendingPathComponent("directions")
        self.directions = manager.fileExists(atPath: directions) ? directions : nil
    }

    /// The attributes with a boundary file, sorted.
    public var directionNames: [String] {
        guard let directions, let names = try? FileManager.default.contentsOfDirectory(atPath: directions) else { return [] }
        return names.filter { $0.hasPrefix(Self.directionPrefix) && $0.hasSuffix(".npy") }
            .map { String($0.dropFirst(Self.directionPrefix.count).dropLast(".npy".count)) }.sorted()
    }

    /// The boundary file of `attribute` in `directions`, when there is one.
    public static func direction(for attribute: String, in directions: String?) -> String? {
        guard let directions else { return nil }
        let path = (directions as NSString).appendingPathComponent("\(directionPrefix)\(attribute).npy")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static let directionPrefix = "interfacegan_"
}
