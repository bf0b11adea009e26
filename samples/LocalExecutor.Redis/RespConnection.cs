using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using ThreadPerCore.Redis.Commands;
using ThreadPerCore.Redis.Hosting;
using ThreadPerCore.Redis.Protocol;
using ThreadPerCore.Redis.Sharding;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis;

/// <summary>
/// Serves one RESP2 connection over an <see cref="IDuplexPipe"/>, on whatever thread or executor calls
/// <see cref="ServeAsync"/>: transports only accept connections and hand their pipes here.
/// </summary>
/// <remarks>
/// <para>Each turn of the loop takes every complete command the input holds (a pipelined batch, up to
/// <see cref="MaxBatchCommands"/>), plans each into shard ops, sends the ops of shards this thread may not touch to
/// their cores (one <see cref="ShardBatch"/> per shard, all at once), runs the local ones itself while those travel, and
/// writes the replies in request order straight into the <see cref="PipeWriter"/>, then flushes once.</para>
/// <para>Ordering: a shard sees one connection's operations in request order (the local ones run in order here, the
/// remote ones in order on their core, and a batch starts only after the previous one came back). Commands on different
/// shards within one pipelined batch may run in either order, as with Dragonfly's pipeline squashing; multi-key
/// commands (MGET, MSET, DEL, EXISTS) are atomic per shard, not across shards.</para>
/// <para>Steady-state cost of a GET or SET of an existing key with a same-size value, and of PING: no allocation here
/// (spans into the batch arena, byte-keyed alternate lookups, a value buffer reused in place, constant replies).</para>
/// </remarks>
public sealed partial class RespConnection : IDisposable
{
    /// <summary>The most commands one batch takes from the input; the rest wait for the next turn.</summary>
    public const int MaxBatchCommands = 256;

    /// <summary>A batch takes no further command once its arguments hold this many bytes.</summary>
    private const int MaxBatchBytes = 256 * 1024;

    /// <summary>Replies are flushed in the middle of a batch once this many bytes wait.</summary>
    private const int FlushThreshold = 256 * 1024;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IShardAccess _shards;
    private readonly ServerContext _server;
    private readonly RequestBuffer _request = new();
    private readonly RespParser _parser;
    private readonly ShardBatch?[] _batches;
    private readonly bool[] _arrived;
    private readonly int[] _sent;
    private readonly bool _canCountUnflushed;
    private readonly int _core;
    private PlannedCommand[] _plan = new PlannedCommand[16];
    private ShardOp[] _ops = new ShardOp[16];
    private int _opCount;
    private int _sentCount;
    private bool _closing;

    private RespConnection(IDuplexPipe pipe, IShardAccess shards)
    {
        _input = pipe.Input;
        _output = pipe.Output;
        _shards = shards;
        _server = shards.Server;
        _parser = new RespParser(_server.MaxBulkLength);
        _batches = new ShardBatch?[shards.Count];
        _arrived = new bool[shards.Count];
        _sent = new int[shards.Count];
        _canCountUnflushed = _output.CanGetUnflushedBytes;
        _core = shards.CurrentCore();
        ClientId = _server.NextClientId();
    }

    /// <summary>The connection's number (CLIENT ID).</summary>
    public long ClientId { get; }

    /// <summary>
    /// Serves the connection until the client quits or disconnects, the input is not RESP (answered with an error,
    /// then closed), or <paramref name="stopping"/> is signalled: then the commands already received are answered, a
    /// command half received is read to its end, and the connection closes. Both pipe ends are completed on return.
    /// </summary>
    /// <param name="pipe">The connection's pipe. Its reader's and writer's continuations decide where the loop runs:
    /// on an executor, awaits resume on its core.</param>
    /// <param name="shards">The shards.</param>
    /// <param name="stopping">Signals a graceful stop.</param>
    /// <returns>Completes when the connection is done; faults only on a transport failure (a reset, a broken pipe).</returns>
    public static async Task ServeAsync(IDuplexPipe pipe, IShardAccess shards, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        ArgumentNullException.ThrowIfNull(shards);
        using var connection = new RespConnection(pipe, shards);
        shards.Server.Stats.ConnectionOpened();
        try
        {
            await connection.RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            shards.Server.Stats.ConnectionClosed();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _request.Dispose();
        foreach (ShardBatch? batch in _batches)
        {
            batch?.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        Exception? failure = null;
        int statsSlot = _shards.StatsSlot();
        var home = new ContextHop();
        using CancellationTokenRegistration registration = stopping.UnsafeRegister(static reader => ((PipeReader)reader!).CancelPendingRead(), _input);
        try
        {
            while (true)
            {
                // On an executor the loop continues on its core: a reactor pipe resumes it there; a read completed on
                // another thread (a .NET socket's) hops back through the executor's synchronization context.
                ReadResult result = await home.Await(_input.ReadAsync(CancellationToken.None));
                ReadOnlySequence<byte> buffer = result.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                ParseStatus status = _parser.Parse(ref reader, _request, MaxBatchCommands, MaxBatchBytes);
                _input.AdvanceTo(reader.Position, status == ParseStatus.BatchFull ? reader.Position : buffer.End);

                int commands = _request.CommandCount;
                if (commands > 0)
                {
                    PlanBatch();
                    for (int i = 0; i < commands && !_closing; i++)
                    {
                        for (int op = _plan[i].FirstOp, end = op + _plan[i].OpCount; op < end; op++)
                        {
                            int shard = _ops[op].Shard;
                            if (_ops[op].Remote >= 0 && !_arrived[shard])
                            {
                                _arrived[shard] = true;
                                await _batches[shard]!.WaitAsync().ConfigureAwait(false); // completes on this core
                            }
                        }

                        WriteReply(i);
                        if (_canCountUnflushed && _output.UnflushedBytes > FlushThreshold)
                        {
                            FlushResult partial = await home.Await(_output.FlushAsync(CancellationToken.None));
                            if (partial.IsCompleted)
                            {
                                _closing = true;
                            }
                        }
                    }

                    await AwaitOutstandingAsync().ConfigureAwait(true);
                    _shards.Server.Stats.AddCommands(statsSlot, commands);
                    _request.Recycle(_parser.InArgument);
                }

                if (status == ParseStatus.ProtocolError)
                {
                    _server.Log?.Invoke($"client {ClientId}: {_parser.Error}; closing");
                    Resp.Error(_output, _parser.Error!);
                    _closing = true;
                }

                FlushResult flushed = await home.Await(_output.FlushAsync(CancellationToken.None));
                if (_closing || flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }

                if (status == ParseStatus.BatchFull)
                {
                    continue; // more commands are buffered: serve them before looking at stop or end of input
                }

                if (result.IsCompleted)
                {
                    break; // the client closed; a command it left unfinished is dropped
                }

                if ((result.IsCanceled || stopping.IsCancellationRequested) && !_parser.InCommand)
                {
                    break; // graceful stop: everything received was answered
                }
            }
        }
        catch (Exception exception)
        {
            failure = exception;
            throw;
        }
        finally
        {
            await AwaitOutstandingAsync().ConfigureAwait(true);
            await _input.CompleteAsync(failure).ConfigureAwait(true);
            await _output.CompleteAsync(failure).ConfigureAwait(true);
        }
    }

    /// <summary>Waits for every batch sent to another core that was not awaited yet (the loop stopped early, or failed):
    /// the request arena they read must not change before they come back. Then readies the batches for the next turn.</summary>
    private async ValueTask AwaitOutstandingAsync()
    {
        for (int i = 0; i < _sentCount; i++)
        {
            int shard = _sent[i];
            if (!_arrived[shard])
            {
                _arrived[shard] = true;
                try
                {
                    await _batches[shard]!.WaitAsync().ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    _server.Log?.Invoke($"client {ClientId}: shard {shard} failed: {exception.Message}");
                }
            }

            _batches[shard]!.Reset();
            _arrived[shard] = false;
        }

        _sentCount = 0;
    }
}
