import ArgumentParser
import Torch

/// `stylegan doctor`: what this machine and the loaded libtorch offer.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the torch version, ABI flag, threads, CPU features and CUDA devices."
    )

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.start()
        for line in try DoctorReport.collect().lines { print(line) }
    }
}

/// The facts `doctor` prints, gathered from the runtime.
struct DoctorReport {
    var lines: [String] = []

    static func collect() throws -> DoctorReport {
        var report = DoctorReport()
        report.add("stylegan", StyleGANKitVersion.number)
        report.add("torch (built for)", Runtime.builtForVersion)
        report.add("torch (loaded)", try Runtime.loadedVersion())
        report.add("_GLIBCXX_USE_CXX11_ABI", String(Runtime.cxx11ABI))
        report.add("threads", String(Runtime.threads))
        report.add("cpu kernels", try Runtime.cpuCapability())
        let features = ["avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16", "amx_int8"]
        report.add("cpu features", features.map { "\($0)=\(Runtime.cpuHas($0) ? "yes" : "no")" }.joined(separator: " "))
        let count = Runtime.cudaDeviceCount
        report.add("cuda devices", String(count))
        for index in 0..<count {
            report.add("  cuda:\(index)", (try? Runtime.cudaDeviceName(index)) ?? "unnamed")
        }
        if let error = Runtime.cudaLoadError { report.add("cuda load error", error) }
        return report
    }

    private mutating func add(_ key: String, _ value: String) {
        lines.append(key + String(repeating: " ", count: max(1, 24 - key.count)) + value)
    }
}
