using System.CommandLine;
using System.CommandLine.Invocation;

namespace PoolDetector.Cli;

/// <summary>The command line: parsing, help and the mapping of outcomes onto DESIGN.md's exit codes.</summary>
internal static class CliApp
{
    public static int Run(string[] args, CliConsole console)
    {
        var root = new RootCommand("PoolDetector: finds cryptocurrency mining in network traffic.");
        root.Subcommands.Add(CreateAnalyzeCommand(console));
        root.Subcommands.Add(CreateSensorCommand("run", console,
            """
            Run the capture daemon: capture on the configured interfaces, write EVE alerts, export metrics.
            Configuration: the JSON file (section PoolDetector), then POOLDETECTOR_-prefixed environment
            variables (POOLDETECTOR_PoolDetector__MetricsPort=9475), then options like --PoolDetector:MetricsPort=9475.
            SIGHUP reopens the alert file and reloads the rules; SIGTERM stops (exit 0). Exit 2: bad configuration.
            """,
            Hosting.SensorHost.Run));
        root.Subcommands.Add(CreateSensorCommand("check-config", console,
            "Validate the daemon's configuration (same sources as run) without starting it: every problem is listed, exit 2; otherwise \"configuration OK\", exit 0.",
            Hosting.SensorHost.CheckConfig));
        root.Subcommands.Add(CreateIntelCommand(console));
        root.Subcommands.Add(ReportCommand.Create(console));

        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // System.CommandLine exits 1 on a parse error, which the contract reserves for
            // "mining found"; print its errors and help on stderr and exit 2 instead.
            parse.Invoke(new InvocationConfiguration { Output = console.Error, Error = console.Error });
            return ExitCodes.Usage;
        }
        var exit = parse.Invoke(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            // Its handler would print the exception and exit 1, "mining found"; Program maps bugs to 70.
            EnableDefaultExceptionHandler = false,
        });
        console.Out.Flush();
        return exit;
    }

    private static Command CreateSensorCommand(string name, CliConsole console, string description,
        Func<string?, IReadOnlyList<string>, CliConsole, int> action)
    {
        var config = new Option<string?>("--config", "-c")
        {
            Description = "The JSON configuration file. Default: /etc/pooldetector/pooldetector.json (may be absent: defaults apply); a file named here must exist.",
            HelpName = "FILE",
        };
        var command = new Command(name, description)
        {
            config,
        };
        // --PoolDetector:Key=value settings are configuration, not options of this parser.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => action(parse.GetValue(config), parse.UnmatchedTokens, console));
        return command;
    }

    private static Command CreateAnalyzeCommand(CliConsole console)
    {
        var inputs = new Argument<string[]>("FILE|DIR")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Capture files (pcap or pcapng, by content, whatever the name) and directories, searched recursively for *.pcap, *.pcapng and *.cap in sorted order; compressed captures are skipped with a warning.",
        };
        // An input list swallows unknown options as file names; call them what they are.
        inputs.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var value = token.Value;
                if (value.Length > 1 && value[0] == '-' && !File.Exists(value) && !Directory.Exists(value))
                {
                    result.AddError($"Unrecognized option '{value}'.");
                }
            }
        });

        var format = new Option<string>("--format", "-f")
        {
            Description = "table: a summary for people (plain text when redirected); jsonl: Suricata EVE alert events, one per detected flow, nothing else; csv: one row per detection, RFC 4180, formula-safe.",
            DefaultValueFactory = _ => "table",
            HelpName = "table|jsonl|csv",
        };
        format.AcceptOnlyFromAmong("table", "jsonl", "csv");

        var rules = new Option<string?>("--rules")
        {
            Description = "Directory of rule files. Default: the rules folder next to the executable, else ./rules.",
            HelpName = "DIR",
        };

        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "No progress and no warnings on stderr; errors are still printed.",
        };

        var learnedOut = new Option<string?>("--learned-out")
        {
            Description = "Also write the pool endpoints seen serving confirmed mining, as a pool list for rules/intel/ of the sensors.",
            HelpName = "FILE",
        };

        var evidence = new Option<string?>("--evidence")
        {
            Description = "Also write a pcap of each detected flow below DIR (DIR/yyyy-MM-dd/...pcap, created if missing); events then carry mining.pcap and mining.pcap_sha256.",
            HelpName = "DIR",
        };
        var evidenceMaxPackets = new Option<int>("--evidence-max-packets")
        {
            Description = "At most this many packets per evidence file (the flow's first ones).",
            DefaultValueFactory = _ => AnalyzeOptions.DefaultEvidenceMaxPackets,
            HelpName = "N",
        };
        var evidenceMaxMiB = new Option<int>("--evidence-max-mib")
        {
            Description = "At most this many MiB of packets per evidence file.",
            DefaultValueFactory = _ => AnalyzeOptions.DefaultEvidenceMaxMiB,
            HelpName = "N",
        };
        var homeNet = new Option<string[]>("--home-net")
        {
            Description = "A home network (CIDR, IPv4 or IPv6; repeat for more; none for no ranges): detections are turned so their source is the internal host, and only internal hosts get a MAC and DHCP name. Default: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7.",
            HelpName = "CIDR",
            AllowMultipleArgumentsPerToken = false,
        };
        var inventory = new Option<string?>("--inventory")
        {
            Description = "CSV file cidr,department,owner,contact naming the unit responsible for each network (the most specific range wins).",
            HelpName = "FILE",
        };
        var wallets = new Option<string>("--wallets")
        {
            Description = "How wallet addresses appear in every format: none (as sent), mask (first 6 and last 4 characters), hash (HMAC-SHA256 with --wallet-key, stable across runs).",
            DefaultValueFactory = _ => "none",
            HelpName = "none|mask|hash",
        };
        wallets.AcceptOnlyFromAmong("none", "mask", "hash");
        var walletKey = new Option<string?>("--wallet-key")
        {
            Description = "The key for --wallets hash, 16 characters or more; default: the environment variable POOLDETECTOR_WALLET_KEY (which, unlike an option, other users cannot read in the process list).",
            HelpName = "KEY",
        };

        var stats = new Option<bool>("--stats")
        {
            Description = "At the end, one line on stderr with what the run cost: packets, flows, wall and CPU seconds, bytes allocated (in all and per packet), garbage collections per generation; the whole process's figures.",
        };

        var workers = new Option<int>("--workers")
        {
            Description = "Analyse each file with N engines on N threads, each reading the file and analysing the flows to its share of the server addresses (all flows to one pool meet in one engine; DNS and DHCP are seen by all). The detections and their order are those of one engine. Default 1.",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };

        var command = new Command("analyze",
            """
            Analyse capture files for cryptocurrency mining; each file is analysed on its own (a flow_id is the number of the flow's first frame in its file, as Wireshark numbers frames).
            Results go to stdout; errors, warnings and progress (on a terminal, for long runs) go to stderr.

            Exit codes:
              0  ran cleanly, no mining found (pool-contact and crypto-node detections alone do not count)
              1  mining found (at least one detection of category mining)
              2  bad usage or configuration: unknown option, bad --format, no inputs, a path that does not exist, rules that fail to load, a --learned-out or --evidence that cannot be written, a bad --home-net, --inventory (every problem as FILE:LINE) or --wallet-key
              3  an input is unreadable or corrupt (missing permissions, not a capture, empty, truncated); everything that could be read is still reported. Takes precedence over 1.
            """)
        {
            inputs,
            format,
            rules,
            quiet,
            learnedOut,
            evidence,
            evidenceMaxPackets,
            evidenceMaxMiB,
            homeNet,
            inventory,
            wallets,
            walletKey,
            stats,
            workers,
        };
        command.SetAction(parse =>
        {
            var options = new AnalyzeOptions(
                parse.GetValue(inputs) ?? [],
                Enum.Parse<OutputFormat>(parse.GetValue(format) ?? "table", ignoreCase: true),
                parse.GetValue(rules),
                parse.GetValue(quiet),
                parse.GetValue(learnedOut),
                parse.GetValue(evidence),
                parse.GetValue(evidenceMaxPackets),
                parse.GetValue(evidenceMaxMiB))
            {
                HomeNetworks = parse.GetValue(homeNet) ?? [],
                Inventory = parse.GetValue(inventory),
                Wallets = parse.GetValue(wallets) ?? "none",
                WalletKey = parse.GetValue(walletKey) ?? Environment.GetEnvironmentVariable(WalletKeyVariable),
                Stats = parse.GetValue(stats),
                Workers = parse.GetValue(workers),
            };
            return AnalyzeRunner.Run(options, console);
        });
        return command;
    }

    /// <summary>Where analyze looks for the wallet hash key when --wallet-key is not given.</summary>
    public const string WalletKeyVariable = "POOLDETECTOR_WALLET_KEY";

    private static Command CreateIntelCommand(CliConsole console)
    {
        var state = new Option<string>("--state")
        {
            Description = "The daemon's learned pools file (PoolDetector:LearnedPoolsFile).",
            DefaultValueFactory = _ => Hosting.LearnedPoolsStore.DefaultPath,
            HelpName = "FILE",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the pool list; - is stdout.",
            DefaultValueFactory = _ => "-",
            HelpName = "FILE|-",
        };
        var export = new Command("export",
            """
            Write the pools the daemon learned as a pool list for rules/intel/ of other sensors.
            Bad lines are left out and listed on stderr as FILE:LINE: problem.

            Exit codes:
              0  exported
              2  bad usage (unknown option), or --output cannot be written
              3  the state file is missing or unreadable, or had bad lines (the good ones are still exported)
            """)
        {
            state,
            output,
        };
        export.SetAction(parse => IntelExportRunner.Run(parse.GetValue(state)!, parse.GetValue(output)!, console));
        return new Command("intel", "Pool intelligence the sensor produces.")
        {
            export,
        };
    }
}
