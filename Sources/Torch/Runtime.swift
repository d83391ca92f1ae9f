import CTorch

/// The libtorch this process runs on: version check, CUDA loading, threads, and what the machine offers.
public enum Runtime {
    /// The torch version the shim was compiled against (from `.deps/torch-build.json`, e.g. "2.13.0+cpu").
    public static var builtForVersion: String { String(cString: ct_built_for_version()) }

    /// TORCH_VERSION as reported by the loaded libtorch (e.g. "2.13.0").
    public static func loadedVersion() throws -> String {
        try string { ct_runtime_version($0, $1) }
    }

    /// The `_GLIBCXX_USE_CXX11_ABI` value the shim was compiled with (the one recorded by `make setup`).
    public static var cxx11ABI: Int { Int(ct_compiled_cxx11_abi()) }

    /// Checks the loaded libtorch against the build and loads `libtorch_cuda.so` when the wheel has it.
    ///
    /// Call once at start-up, before other work. A version mismatch throws rather than risking undefined
    /// behaviour from an ABI that differs from the headers the shim was compiled with. `keepFreedMemory` (the
    /// default) stops glibc from unmapping large freed blocks, which otherwise fault in every page of each new
    /// activation above 32 MiB (docs/benchmarks.md times the PyTorch reference generator with and without it).
    public static func start(threads: Int? = nil, keepFreedMemory: Bool = true) throws {
        let loaded = try loadedVersion()
        let expected = builtForVersion.split(separator: "+").first.map(String.init) ?? builtForVersion
        guard loaded == expected else {
            throw TorchError("libtorch \(loaded) is loaded but StyleGANKit was built for \(builtForVersion); "
                + "run `make setup` and rebuild")
        }
        let cuda = ct_load_cuda()
        hasCUDALibrary = cuda == 1
        if cuda < 0 {
            cudaLoadError = TorchError.last().message
        }
        if let threads { try setThreads(threads) }
        if keepFreedMemory, ct_keep_freed_memory() != 0 {
            throw TorchError("could not set the allocator options (mallopt)")
        }
    }

    /// Whether `start()` loaded libtorch_cuda.so: false for a CPU build of torch (and before `start()`), whatever
    /// the machine has; true does not mean a device is present (`cudaDeviceCount`).
    nonisolated(unsafe) public private(set) static var hasCUDALibrary = false

    /// Why libtorch_cuda.so was present but could not be loaded, if so.
    nonisolated(unsafe) public private(set) static var cudaLoadError: String?

    /// Intra-op threads; the default is the number of cores.
    public static var threads: Int { Int(ct_get_num_threads()) }

    public static func setThreads(_ n: Int) throws {
        guard n > 0 else { throw TorchError("thread count must be positive, got \(n)") }
        ct_set_num_threads(Int32(n))
    }

    /// The SIMD level libtorch's CPU kernels dispatch to (e.g. "AVX512").
    public static func cpuCapability() throws -> String { try string { ct_cpu_capability($0, $1) } }

    /// Whether the CPU reports a feature by cpuid: "avx512f", "avx512_bf16", "amx_tile", "amx_bf16", ...
    public static func cpuHas(_ feature: String) -> Bool { ct_cpu_has(feature) != 0 }

    public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }

    public static func cudaDeviceName(_ index: Int) throws -> String {
        try string { ct_cuda_device_name(Int32(index), $0, $1) }
    }

    /// Nanoseconds per `at::add` of two 1x1 tensors called from C++ with no binding in between: the floor
    /// against which the per-call overhead of a binding is measured.
    public static func nativeAddNanoseconds(iterations: Int) throws -> Double {
        var ns = 0.0
        try check(ct_time_native_add(Int64(iterations), &ns))
        return ns
    }

    /// libtorch's build description (`torch.__config__.show()`).
    public static func buildConfig() throws -> String { try string { ct_show_config($0, $1) } }

    /// Reads a string from a shim call that answers 0 when it fit, the capacity it needs, or -1 on failure.
    static func string(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws -> String {
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let status = body(&buffer, capacity)
            if status == 0 { return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            if status < 0 || Int(status) <= capacity { throw TorchError.last() }
            capacity = Int(status)
        }
    }
}
