using PoolDetector.Bench;

return BenchCli.Run(args);
