import Checkpoints
import Foundation
import Testing
import Torch

/// The shared parity fixtures, found in `../shared/fixtures` beside the package root.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    /// The package root (for files shipped in the repo).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The path of a fixture file; a missing fixture throws, failing the calling test with a clear message.
    public static func path(_ relative: String) throws -> String {
        let path = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TorchError("fixture missing: \(relative) (expected under ../shared/fixtures beside the clone)")
        }
        return path
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
