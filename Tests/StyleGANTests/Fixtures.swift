import Checkpoints
import Foundation
import Testing
import Torch

/// The shared parity fixtures, found beside the package root.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    /// The path of a fixture file; a missing fixture fails the calling test with a clear message.
    static func path(_ relative: String) throws -> String {
        let path = root.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TorchError("fixture missing: \(relative) (expected under ../shared/fixtures beside the clone)")
        }
        return path
    }

    static func cases(_ relative: String) throws -> [String: Tensor] {
        try Safetensors.read(path(relative)).tensors.dictionary
    }
}

/// max |a - b| <= tol * max(1, max |b|), the fixtures' tolerance rule.
func expectClose(_ a: Tensor, _ b: Tensor, tol: Double = 1e-4, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) throws
{
    #expect(a.shape == b.shape, "\(what): shape \(a.shape) vs \(b.shape)", sourceLocation: sourceLocation)
    guard a.shape == b.shape else { return }
    let diff = try (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    let scale = max(1, try b.abs().max().item())
    #expect(diff <= tol * scale, "\(what): max |diff| \(diff) > \(tol) x \(scale)", sourceLocation: sourceLocation)
}
