/// A self-contained HTML page for one run: the summary table, the checks,
/// and two inline SVG charts (throughput over time, latency distribution).
public enum HTMLReport {
    public static func render(_ report: LoadReport) -> String {
        let e = SVGChart.escape
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>tally-loadtest: \(e(report.name))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; max-width: 60em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
            .ok { color: #1a7f37; } .failed { color: #cf222e; font-weight: bold; }
            code { background: #f4f4f4; padding: 1px 4px; }
            pre { white-space: pre-wrap; }
            </style></head><body>
            <h1>tally-loadtest: \(e(report.name))</h1>
            <p>\(e(report.startedAt)) on \(e(report.machine.hostname)) (\(report.machine.cores) cores, load average \(Formatting.fixed(report.machine.loadAverageStart, 2)) → \(Formatting.fixed(report.machine.loadAverageEnd, 2))).
            Verdict: <span class="\(report.verification.passed ? "ok" : "failed")">\(report.verification.passed ? "PASSED" : "FAILED")</span>.</p>
            <p>Command: <code>\(e(report.command))</code></p>
            <h2>Summary</h2>
            <pre>\(e(SummaryTable.render(report)))</pre>
            <h2>Checks</h2>
            <table><tr><th>check</th><th>expected</th><th>observed</th><th></th></tr>

            """
        for check in report.verification.checks {
            html += "<tr><td>\(e(check.name))</td><td>\(e(check.expected))</td><td>\(e(check.observed))</td><td class=\"\(check.passed ? "ok" : "failed")\">\(check.passed ? "ok" : "FAILED")</td></tr>\n"
        }
        html += "</table>\n<h2>Throughput over time</h2>\n"
        html += SVGChart.lines(
            [
                SVGChart.Series(name: "published", color: "#8c8c8c", values: report.series.published.map(Double.init)),
                SVGChart.Series(name: "outputs received", color: "#0969da", values: report.series.outputs.map(Double.init)),
            ], xLabel: "seconds since the first publish", yLabel: "messages per second")
        if let latency = report.latency {
            html += "\n<h2>Latency distribution (publish → notification)</h2>\n"
            html += SVGChart.bars(
                latency.distribution.filter { $0.count > 0 || latency.distribution.count < 20 }.map {
                    (label: "≤" + Formatting.milliseconds($0.upToMilliseconds), value: Double($0.count))
                }, color: "#0969da", xLabel: "latency bucket", yLabel: "records")
            html += "\n<p>p50 \(Formatting.milliseconds(latency.p50Milliseconds)), p90 \(Formatting.milliseconds(latency.p90Milliseconds)), p99 \(Formatting.milliseconds(latency.p99Milliseconds)), p99.9 \(Formatting.milliseconds(latency.p999Milliseconds)), max \(Formatting.milliseconds(latency.maxMilliseconds)) over \(latency.count) records (HdrHistogram, 3 significant digits).</p>\n"
        }
        if !report.verification.findings.isEmpty {
            html += "<h2>Findings</h2><ul>\n" + report.verification.findings.map { "<li>\(e($0))</li>" }.joined(separator: "\n") + "</ul>\n"
        }
        return html + "</body></html>\n"
    }
}
