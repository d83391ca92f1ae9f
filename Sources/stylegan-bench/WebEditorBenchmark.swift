import Foundation
import StyleGAN
import Torch
import WebEditor

/// The web editor's slider latency: `stylegan serve` in a child process driven over loopback by 1, 4 and 16 clients
/// (`EditorLoadGenerator`), beside one generator forward pass timed in this process. The bound is a forward
/// plus at most 30 ms. There is no reference implementation to put beside it: no official tool serves edits.
enum WebEditorBenchmark {
    static let title = "Web editor: slider render latency over loopback"

    static func section(into report: inout Report) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("stylegan")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TorchError("\(binary.path): build the stylegan product beside stylegan-bench (make bench does)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-bench-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // 64: the shipped testbed generator; 256: rosinality's 256 configuration (channel multiplier 2), random weights.
        let big = try LoadedGenerator.random(GeneratorConfig(size: 256), seed: 0)
        try GeneratorCheckpoint.save(big, to: scratch.appendingPathComponent("generator.safetensors").path)
        var rows = [["size", "clients", "renders", "p50 (ms)", "p95 (ms)", "renders / s", "forward (ms)",
                     "p50 - forward (ms)", "GFLOP/s"]]
        let settings = [(64, "Models/testbed64", "smile", [1: 60, 4: 25, 16: 8]), (256, scratch.path, nil, [1: 12, 4: 6, 16: 3])]
        for (size, folder, direction, renders) in settings {
            let g = try GeneratorCheckpoint.load(folder + "/generator.safetensors").generator
            let w = try withInferenceMode { try g.mapping(g.z(seeds: [1])).unsqueeze(1).expand([1, g.nLatent, g.config.styleDim]) }
            let forward = try median(runs: 7) { _ = try withInferenceMode { try g.synthesis(w, noise: .const) } }
            let flops = Double(g.synthesisFLOPs(batch: 1))
            try withServer(binary, models: folder) { port in
                let load = EditorLoadGenerator(port: port, direction: direction)
                _ = load.run(clients: 1, renders: 3)  // warm-up
                for clients in [1, 4, 16] {
                    let result = load.run(clients: clients, renders: renders[clients]!)
                    guard result.errors.isEmpty else { throw TorchError("web editor load: \(result.errors.prefix(3))") }
                    let rate = Double(result.latencies.count) / result.seconds
                    rows.append(["\(size)", "\(clients)", "\(result.latencies.count)", fmt(result.quantile(0.5) * 1e3),
                                 fmt(result.quantile(0.95) * 1e3), fmt(rate), fmt(forward * 1e3),
                                 fmt((result.quantile(0.5) - forward) * 1e3), fmt(rate * flops / 1e9)])
                }
            }
        }
        report.section(title, rows, note: "Each client has its own session and seed and asks for a new slider position "
            + "per request, one after another (64: the smile direction; 256: truncation, the random generator having no "
            + "directions); latency is end to end (JSON request, edit, synthesis, "
            + "PNG, reply). Renders that arrive while the generator is busy share one batched pass, so with more "
            + "clients the rate rises while each waits for the pass before its own. Forward: the median of 7 "
            + "single-image synthesis passes in this process; GFLOP/s counts the synthesis FLOPs of the renders served. "
            + "The server runs the release build with the default threads; the 256-pixel generator has random weights.")
    }

    /// Runs `stylegan serve --port 0` on `models` (encoders only), hands its port to `body`, then kills it.
    static func withServer(_ binary: URL, models: String, _ body: (Int) throws -> Void) throws {
        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--port", "0", "--models", models, "--networks", "none"]
        let output = Pipe()
        (server.standardOutput, server.standardError) = (output, FileHandle.nullDevice)
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        var text = ""
        while !text.contains("\n") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { throw TorchError("stylegan serve exited: \(text)") }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let port = Int(text.split(separator: ":").last?.prefix { $0.isNumber } ?? "") else {
            throw TorchError("stylegan serve printed: \(text)")
        }
        try body(port)
    }

    static func median(runs: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<runs {
            let start = Date()
            try body()
            times.append(Date().timeIntervalSince(start))
        }
        return times.sorted()[runs / 2]
    }
}
