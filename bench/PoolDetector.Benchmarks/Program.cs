using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

// Every benchmark of this assembly, chosen on the command line: `-- --filter '*'` runs them all,
// `--list flat` names them, `--job short` is a quicker, rougher run, `--join` gives one table.
// Parameter columns wide enough for the capture names, which would otherwise be cut.
var config = DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
BenchmarkSwitcher.FromAssembly(typeof(PoolDetector.Benchmarks.Captures).Assembly).Run(args, config);
