import Foundation
import Perception
import Torch

/// Forward time of the perception networks at their input sizes, float32 and bfloat16 (random weights: the
/// time does not depend on the values).
enum PerceptionBenchmark {
    static func run(batch: Int = 4, iterations: Int = 3) throws -> [[String]] {
        var rows = [["network", "input", "dtype", "ms / image", "GFLOP/s"]]
        for dtype in [DType.float32, .bfloat16] {
            let lpips = try LPIPS(network: .alex, dtype: dtype)
            let x = try Tensor.rand([batch, 3, 256, 256]).to(dtype: dtype) * 2 - 1
            let lpipsFlops = try Double(lpips.flops(inputShape: [batch, 3, 256, 256]))
            rows.append(try row("LPIPS (AlexNet)", "2 x 256x256", dtype, batch, iterations, lpipsFlops) { _ = try lpips(x, x) })

            let arcface = try IRSE50().to(dtype: dtype)
            let face = try Tensor.rand([batch, 3, 112, 112]).to(dtype: dtype)
            rows.append(try row("ArcFace IR-SE50", "112x112", dtype, batch, iterations, nil) { _ = try arcface(face) })

            let inception = try FIDInceptionV3(dtype: dtype)
            let image = try Tensor.rand([batch, 3, 299, 299]).to(dtype: dtype) * 2 - 1
            rows.append(try row("InceptionV3 (FID)", "299x299", dtype, batch, iterations,
                                11_422_336_192 * Double(batch)) { _ = try inception(image) })
        }
        return rows
    }

    private static func row(_ name: String, _ input: String, _ dtype: DType, _ batch: Int, _ iterations: Int,
                            _ flops: Double?, _ body: () throws -> Void) throws -> [String]
    {
        try withInferenceMode { try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { try withInferenceMode { try body() } }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
        return [name, input, dtype.description, fmt(seconds * 1e3 / Double(batch)), flops.map { fmt($0 / seconds / 1e9) } ?? "-"]
    }
}
