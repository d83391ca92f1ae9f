import Foundation
import Testing
import Torch

/// Ranger and Adam against the trajectories PyTorch recorded in `shared/fixtures/optimizers` (see the fixtures'
/// README): 25 steps at lr 1e-2 on f(W, b) = mean((X W + b - Y)^2) + 0.1 sum(W^4).
@Suite("Optim fixtures")
struct OptimFixtureTests {
    static let tolerance = 1e-6

    /// The fixture, under `$STYLEGAN_FIXTURES` when it is set, else in `../shared/fixtures` beside the package root
    /// (the rule of `TestSupport.Fixtures`, which this target does not link so that it needs nothing but Torch).
    static var fixtureURL: URL {
        let relative = "optimizers/trajectories.safetensors"
        if let folder = ProcessInfo.processInfo.environment["STYLEGAN_FIXTURES"], !folder.isEmpty {
            return URL(fileURLWithPath: folder).appendingPathComponent(relative)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TorchTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("../shared/fixtures").appendingPathComponent(relative)
            .standardizedFileURL
    }

    static func loadFixture() throws -> [String: Tensor] {
        let url = fixtureURL
        try #require(FileManager.default.fileExists(atPath: url.path),
                     "optimizer fixture missing at \(url.path) ($STYLEGAN_FIXTURES, else ../shared/fixtures)")
        return try TestSafetensors.read(Data(contentsOf: url))
    }

    /// Runs `steps` optimiser steps from the fixture's start point; returns the largest deviation from the
    /// recorded parameters `<prefix>_W_s` and `<prefix>_b_s`, and checks each step on the way.
    static func maxTrajectoryError(prefix: String, _ fixture: [String: Tensor],
                                   makeOptimizer: ([Tensor]) throws -> any Optimizer,
                                   afterStep: (Int, Tensor) throws -> Void = { _, _ in }) throws -> Double
    {
        let x = try #require(fixture["X"])
        let y = try #require(fixture["Y"])
        let w = try #require(fixture["W0"]).clone().requiresGrad(true)
        let b = try #require(fixture["b0"]).clone().requiresGrad(true)
        let optimizer = try makeOptimizer([w, b])
        var worst = 0.0
        for s in 0..<25 {
            try optimizer.zeroGrad()
            let residual = try x.matmul(w) + b - y
            let loss = try residual.square().mean() + 0.1 * w.pow(4).sum()
            try loss.backward()
            try optimizer.step()
            try afterStep(s, w)
            let wError = try (w - #require(fixture["\(prefix)_W_\(s)"])).abs().max().item()
            let bError = try (b - #require(fixture["\(prefix)_b_\(s)"])).abs().max().item()
            #expect(wError <= tolerance && bError <= tolerance, "\(prefix) step \(s): W \(wError), b \(bError)")
            worst = max(worst, wError, bError)
        }
        return worst
    }

    @Test func rangerReproducesThePyTorchTrajectory() throws {
        let fixture = try Self.loadFixture()
        var ranger: Ranger?
        let worst = try Self.maxTrajectoryError(prefix: "ranger", fixture, makeOptimizer: {
            let optimizer = try Ranger($0, lr: 1e-2)
            ranger = optimizer
            return optimizer
        }, afterStep: { s, w in
            // Steps 6, 12, ... (s = 5, 11, ...) end on a Lookahead sync: the fast weights are the slow ones.
            if (s + 1) % 6 == 0 {
                let slow = try #require(ranger?.slowWeights(of: w))
                #expect(try w.allClose(slow, rtol: 0, atol: 0))
            }
        })
        #expect(worst <= Self.tolerance, "Ranger max abs error \(worst)")
    }

    @Test func adamReproducesThePyTorchTrajectory() throws {
        let fixture = try Self.loadFixture()
        let worst = try Self.maxTrajectoryError(prefix: "adam", fixture) { try Adam($0, lr: 1e-2) }
        #expect(worst <= Self.tolerance, "Adam max abs error \(worst)")
    }
}

/// TEST-ONLY minimal safetensors reader (F32 tensors only), so these tests do not depend on the Checkpoints
/// target: an 8-byte little-endian header length, a JSON header of name -> {dtype, shape, data_offsets}, then
/// the data.
enum TestSafetensors {
    static func read(_ data: Data) throws -> [String: Tensor] {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw TorchError("safetensors: file too short") }
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let dataStart = 8 + headerLength
        guard dataStart <= bytes.count,
              let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any]
        else { throw TorchError("safetensors: bad header") }
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2, dataStart + offsets[1] <= bytes.count
            else { throw TorchError("safetensors: unsupported entry \(name)") }
            let payload = Array(bytes[(dataStart + offsets[0])..<(dataStart + offsets[1])])
            tensors[name] = try Tensor(bytes: payload, shape: shape, dtype: .float32)
        }
        return tensors
    }
}
