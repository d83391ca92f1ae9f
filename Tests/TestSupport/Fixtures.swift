import Checkpoints
import Foundation
import Testing
import Torch

/// The shared parity fixtures: under `$STYLEGAN_FIXTURES` when it is set, else in `../shared/fixtures` beside the
/// package root.
public enum Fixtures {
    /// The package root (for files shipped in the repo).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The fixtures folder for this process's environment.
    public static var root: URL { root(environment: ProcessInfo.processInfo.environment) }

    /// The fixtures folder `environment` selects.
    public static func root(environment: [String: String]) -> URL {
        if let folder = override(in: environment) {
            return URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures", isDirectory: true)
    }

    /// The path of a fixture file; a missing fixture throws, failing the calling test with a message that says
    /// where it looked.
    public static func path(_ relative: String) throws -> String {
        try path(relative, environment: ProcessInfo.processInfo.environment)
    }

    /// The path of fixture file `relative` in the folder `environment` selects.
    public static func path(_ relative: String, environment: [String: String]) throws -> String {
        let path = root(environment: environment).appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            let origin = override(in: environment) == nil
                ? "../shared/fixtures beside the package; set STYLEGAN_FIXTURES to look elsewhere"
                : "under $STYLEGAN_FIXTURES"
            throw TorchError("fixture missing: \(relative), looked for \(path) (\(origin))")
        }
        return path
    }

    /// `$STYLEGAN_FIXTURES`, unless unset or empty.
    private static func override(in environment: [String: String]) -> String? {
        environment["STYLEGAN_FIXTURES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// All tensors of a fixture's safetensors file by name.
    public static func cases(_ relative: String) throws -> [String: Tensor] {
        try Safetensors.read(path(relative)).tensors.dictionary
    }
}

/// max |a - b| <= tol * max(1, max |b|), the fixtures' tolerance rule.
public func expectClose(_ a: Tensor, _ b: Tensor, tol: Double = 1e-4, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws
{
    #expect(a.shape == b.shape, "\(what): shape \(a.shape) vs \(b.shape)", sourceLocation: sourceLocation)
    guard a.shape == b.shape else { return }
    let diff = try maxAbsDifference(a, b)
    let scale = max(1, try b.abs().max().item())
    #expect(diff <= tol * scale, "\(what): max |diff| \(diff) > \(tol) x \(scale)", sourceLocation: sourceLocation)
}

/// max |a - b| in float64.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    try (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
}
