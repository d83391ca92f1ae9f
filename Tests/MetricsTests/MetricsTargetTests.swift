import Testing
import Metrics

@Suite("Metrics target")
struct MetricsTargetTests {
    @Test func namespaceExists() { _ = Metrics.self }
}
