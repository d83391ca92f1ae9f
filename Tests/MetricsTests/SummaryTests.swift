import Foundation
import Metrics
import Testing
import Torch

@Suite("Summaries, runtime and parameter counts")
struct SummaryTests {
    init() throws { try Runtime.start() }

    @Test func meanAndPopulationStd() throws {
        // Deviations from 2.5: ±1.5, ±0.5; mean square 1.25.
        let summary = try MetricSummary(name: "LPIPS", values: [1, 2, 3, 4])
        #expect(summary.count == 4)
        #expect(summary.mean == 2.5)
        #expect(summary.std == 1.25.squareRoot())
        #expect(throws: MetricSummaryError.self) { try MetricSummary(name: "LPIPS", values: []) }
    }

    @Test func infiniteValuesAreKept() throws {
        let summary = try MetricSummary(name: "PSNR", values: [.infinity, 20])
        #expect(summary.mean == .infinity)
        #expect(summary.std.isNaN)
        let json = try MetricSummary.json([summary, MetricSummary(name: "MSE", values: [0.5])])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows[0]["mean"] as? String == "inf")
        #expect(rows[0]["std"] as? String == "nan")
        #expect(rows[1]["mean"] as? Double == 0.5)
        #expect(rows[1]["count"] as? Int == 1)
    }

    @Test func tableColumnsLineUp() throws {
        let table = MetricSummary.table([try MetricSummary(name: "MS-SSIM", values: [0.5, 0.75]),
                                         try MetricSummary(name: "ID", values: [0.125])], decimals: 3)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(Set(lines.map(\.count)).count == 1)
        #expect(lines[0].hasPrefix("metric"))
        #expect(lines[1].hasPrefix("MS-SSIM") && lines[1].contains("0.625") && lines[1].contains("0.125"))
        #expect(lines[2].hasPrefix("ID ") && lines[2].hasSuffix("1"))
    }

    @Test func runtimePerImage() throws {
        var meter = RuntimeMeter()
        let out = try meter.measure(images: 4) {
            Thread.sleep(forTimeInterval: 0.02)
            return try Tensor.ones([4, 3])
        }
        #expect(out.shape == [4, 3])
        #expect(meter.secondsPerImage.count == 4)
        #expect(meter.secondsPerImage.allSatisfy { $0 >= 0.005 })
        #expect(try meter.summary().count == 4)
        #expect(throws: TorchError.self) { try meter.measure(images: 0) { try Tensor.ones([1]) } }
    }

    @Test func sharedParametersCountOnce() throws {
        let linear = try Linear(3, 4)                           // 4 x 3 + 4
        let conv = try Conv2d(2, 5, kernelSize: 3)              // 5 x 2 x 3 x 3 + 5
        #expect(Metrics.parameterCount([linear, conv]) == 16 + 95)
        let wrapper = try Sequential(linear)
        #expect(Metrics.parameterCount([wrapper, linear, linear]) == 16)
    }
}
