using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using PoolDetector.Core.Flows;

namespace PoolDetector.Tests.Evidence;

/// <summary>
/// The daemon's evidence path without the daemon: frames through a live-reporting engine and
/// the recorder in the order the engine thread runs them, files written by the real libpcap
/// writer on the writer's task, time from a clock the test moves.
/// </summary>
public sealed class EvidenceRecorderTests : IDisposable
{
    private readonly Cli.TempDirectory _directory = new();
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    internal sealed class RecordingMetrics : ISensorMetrics
    {
        public List<long> Written { get; } = [];
        public int Failed;
        public long FilesDropped;
        public long FramesDropped;

        public void DetectionRaised(MiningDetection detection)
        {
        }

        public void RulesLoaded(bool reload, bool success, int rulesInUse)
        {
        }

        public void InterfaceFailed(string interfaceName)
        {
        }

        public void LearnedPoolsSaved(bool success)
        {
        }

        public void EvidenceWritten(long bytes)
        {
            lock (Written)
            {
                Written.Add(bytes);
            }
        }

        public void EvidenceFailed() => Interlocked.Increment(ref Failed);

        public void EvidenceDropped(long files, long frames)
        {
            FilesDropped += files;
            FramesDropped += frames;
        }
    }

    /// <summary>What the engine would hand the alert dispatcher, and the frame it was processing at the time.</summary>
    private sealed class Alerts : IDetectionSink
    {
        public List<(MiningDetection Detection, int Frame)> Reports { get; } = [];
        public int CurrentFrame;

        public void OnDetection(MiningDetection detection) => Reports.Add((detection, CurrentFrame));
    }

    private sealed class Run
    {
        public required EvidenceRecorder Recorder;
        public required Engine Engine;
        public required Alerts Alerts;
        public required RecordingMetrics Metrics;
        public List<MiningDetection> Completed { get; } = [];

        /// <summary>As SensorEngineService.OnFrame: the engine first, then the recorder.</summary>
        public void Feed(List<(LinkType Link, byte[] Frame, long Micros)> frames, int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                Alerts.CurrentFrame = i;
                Engine.ProcessFrame(frames[i].Link, frames[i].Frame, frames[i].Micros);
                Recorder.Record(frames[i].Link, frames[i].Frame, frames[i].Micros);
            }
        }

        public void Stop()
        {
            Recorder.Stop(TimeSpan.FromSeconds(20));
            Recorder.PublishCompleted(Completed.Add);
        }
    }

    private Run Start(int followSeconds = 30, int followPackets = 1000)
    {
        var options = new SensorOptions
        {
            EvidenceDirectory = _directory.Path,
            EvidenceFollowSeconds = followSeconds,
            EvidenceFollowPackets = followPackets,
        };
        var alerts = new Alerts();
        var metrics = new RecordingMetrics();
        var recorder = new EvidenceRecorder(options, alerts, CaptureFileWriter.Factory, _time, metrics, NullLogger<EvidenceRecorder>.Instance);
        recorder.Start(wake: null);
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions { Reporting = DetectionReporting.OnVerdict }, recorder);
        return new Run { Recorder = recorder, Engine = engine, Alerts = alerts, Metrics = metrics };
    }

    [Fact]
    public void The_alert_names_the_file_and_the_finished_capture_holds_the_whole_flow_with_its_hash()
    {
        var frames = CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, "xmrig-login-job-submit.pcap"));
        var run = Start();
        run.Feed(frames, 0, frames.Count);

        // The live alert came before the file was finished: it names the file, no hash yet.
        var (alert, verdictFrame) = run.Alerts.Reports[0];
        Assert.False(alert.ReportedBefore);
        Assert.NotNull(alert.EvidencePcap);
        Assert.Null(alert.EvidenceSha256);
        Assert.StartsWith(_directory.Path + "/", alert.EvidencePcap, StringComparison.Ordinal);
        Assert.True(verdictFrame < frames.Count - 5, "the verdict comes early in the flow, so frames follow it");
        Assert.Empty(run.Completed);

        // The flow ends (end of input): its follow ends, the file is finished and hashed.
        run.Engine.Finish();
        run.Stop();
        var completed = Assert.Single(run.Completed);
        Assert.Equal(alert.EvidencePcap, completed.EvidencePcap);
        Assert.Equal(alert with { EvidenceSha256 = completed.EvidenceSha256 }, completed);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(completed.EvidencePcap!))), completed.EvidenceSha256);

        // Every frame of the capture is the flow's: before the verdict (from the store), the verdict's, and after it.
        var written = CaptureRunner.ReadFrames(completed.EvidencePcap!);
        Assert.Equal(frames.Select(f => f.Frame), written.Select(f => f.Frame));
        Assert.Equal(frames.Select(f => f.Micros), written.Select(f => f.Micros));
        Assert.Equal([new FileInfo(completed.EvidencePcap!).Length], run.Metrics.Written);
        Assert.Equal(0, run.Recorder.OpenCaptures);
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public void After_the_verdict_only_EvidenceFollowPackets_more_frames_are_added()
    {
        var frames = CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        var run = Start(followPackets: 3);
        run.Feed(frames, 0, frames.Count);
        run.Engine.Finish();
        run.Stop();
        var verdictFrame = run.Alerts.Reports[0].Frame;
        var completed = Assert.Single(run.Completed);
        var written = CaptureRunner.ReadFrames(completed.EvidencePcap!);
        // The frames before the verdict, the verdict's own, two more.
        Assert.Equal(frames.Take(verdictFrame + 3).Select(f => f.Frame), written.Select(f => f.Frame));
    }

    [Fact]
    public void After_EvidenceFollowSeconds_the_capture_is_finished_while_the_flow_goes_on()
    {
        var frames = CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, "xmrig-login-job-submit.pcap"));
        var run = Start(followSeconds: 30);
        run.Feed(frames, 0, 10);
        Assert.Single(run.Alerts.Reports);
        _time.Advance(TimeSpan.FromSeconds(29));
        run.Recorder.Tick();
        run.Feed(frames, 10, 12);
        _time.Advance(TimeSpan.FromSeconds(2));
        run.Recorder.Tick();
        // Finished by the clock: frames after this are not the capture's.
        Assert.True(SpinWait.SpinUntil(() => run.Recorder.PublishCompleted(run.Completed.Add) > 0, TimeSpan.FromSeconds(20)));
        run.Feed(frames, 12, frames.Count);
        var completed = Assert.Single(run.Completed);
        Assert.Equal(frames.Take(12).Select(f => f.Frame), CaptureRunner.ReadFrames(completed.EvidencePcap!).Select(f => f.Frame));
        run.Engine.Finish();
        run.Stop();
        Assert.Single(run.Completed);
    }

    [Fact]
    public void Flows_of_a_file_get_files_of_their_own_with_their_vlans_and_nothing_of_the_others()
    {
        var input = Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-vlan-qinq.pcap");
        var frames = CaptureRunner.ReadFrames(input);
        var run = Start();
        run.Feed(frames, 0, frames.Count);
        run.Engine.Finish();
        run.Stop();

        var offline = CaptureRunner.Run(input);
        Assert.Equal(offline.Count, run.Completed.Count);
        foreach (var completed in run.Completed)
        {
            // The same flow as analyze sees it: all its packets, and only its.
            var same = Assert.Single(offline, d => CaptureRunner.Pair(d) == CaptureRunner.Pair(completed) && d.Vlans.SequenceEqual(completed.Vlans));
            var written = CaptureRunner.ReadFrames(completed.EvidencePcap!);
            Assert.Equal(same.PacketsToServer + same.PacketsToClient, written.Count);
            var key = EvidenceFlowKey.Of(completed);
            Assert.All(written, f => Assert.True(EvidenceFlowKey.TryOf(f.Link, f.Frame, out var k) && k == key));
        }
        Assert.Equal(run.Completed.Count, run.Completed.Select(c => c.EvidencePcap).Distinct().Count());
    }

    [Fact]
    public void Beyond_the_open_captures_bound_an_alert_gets_no_capture_and_the_drop_is_counted()
    {
        var alerts = new Alerts();
        var metrics = new RecordingMetrics();
        // The writer is never started: as if the disk had stopped answering.
        var recorder = new EvidenceRecorder(new SensorOptions { EvidenceDirectory = _directory.Path }, alerts, CaptureFileWriter.Factory, _time,
            metrics, NullLogger<EvidenceRecorder>.Instance);
        for (var i = 0; i <= EvidenceRecorder.MaxOpenCaptures; i++)
        {
            recorder.OnDetection(SampleDetections.DesignExample with { MinerPort = (ushort)(20000 + i) });
        }
        Assert.Equal(EvidenceRecorder.MaxOpenCaptures + 1, alerts.Reports.Count);
        Assert.All(alerts.Reports.Take(EvidenceRecorder.MaxOpenCaptures), r => Assert.NotNull(r.Detection.EvidencePcap));
        // The last alert still goes out, at once, without a file to name.
        Assert.Null(alerts.Reports[^1].Detection.EvidencePcap);
        Assert.Equal(1, recorder.FilesDropped);
        Assert.Equal(1, metrics.FilesDropped);
        Assert.Equal(EvidenceRecorder.MaxOpenCaptures, recorder.OpenCaptures);
    }

    [Fact]
    public void A_flow_whose_packets_the_store_no_longer_holds_gets_no_file_and_no_evidence_event()
    {
        var run = Start(followPackets: 0);
        // A detection for a flow the store never saw: nothing to write.
        var detection = SampleDetections.DesignExample with { FlowEnded = false };
        run.Recorder.OnDetection(detection);
        var alert = Assert.Single(run.Alerts.Reports).Detection;
        Assert.NotNull(alert.EvidencePcap);
        run.Stop();
        Assert.Empty(run.Completed);
        Assert.Equal(1, run.Metrics.Failed);
        Assert.False(File.Exists(alert.EvidencePcap));
        Assert.Equal(0, run.Recorder.OpenCaptures);
    }
}
