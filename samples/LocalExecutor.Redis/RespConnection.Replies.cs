using ThreadPerCore.Redis.Commands;
using ThreadPerCore.Redis.Protocol;
using ThreadPerCore.Redis.Sharding;
using ThreadPerCore.Redis.Store;

namespace ThreadPerCore.Redis;

// Replies, in request order: local ops run now, straight into the PipeWriter; remote ops' replies are copied from
// their batch, which has come back by the time its first command is written.
public sealed partial class RespConnection
{
    private void WriteReply(int index)
    {
        ref PlannedCommand plan = ref _plan[index];
        switch (plan.Shape)
        {
            case ReplyShape.Error:
                Resp.Error(_output, plan.Error!);
                break;

            case ReplyShape.Server:
                WriteServerReply(plan.Id, plan.Args);
                break;

            case ReplyShape.Single:
                Run(in _ops[plan.FirstOp]);
                break;

            case ReplyShape.Array:
                Resp.ArrayHeader(_output, plan.OpCount);
                for (int op = plan.FirstOp; op < plan.FirstOp + plan.OpCount; op++)
                {
                    Run(in _ops[op]);
                }

                break;

            case ReplyShape.Sum:
                long total = 0;
                for (int op = plan.FirstOp; op < plan.FirstOp + plan.OpCount; op++)
                {
                    total += Run(in _ops[op]);
                }

                Resp.Integer(_output, total);
                break;

            case ReplyShape.Ok:
                for (int op = plan.FirstOp; op < plan.FirstOp + plan.OpCount; op++)
                {
                    Run(in _ops[op]);
                }

                Resp.Raw(_output, Resp.Ok);
                break;
        }
    }

    /// <summary>Runs a local op into the output, or copies a remote op's reply; returns its count.</summary>
    private long Run(in ShardOp op)
    {
        if (op.Remote >= 0)
        {
            ShardBatch batch = _batches[op.Shard]!;
            if (op.Replies)
            {
                Resp.Raw(_output, batch.Reply(op.Remote));
            }

            return batch.Result(op.Remote);
        }

        ShardStore store = _shards.Enter(op.Shard);
        try
        {
            return store.Execute(in op, _request, _output);
        }
        finally
        {
            _shards.Exit(op.Shard);
        }
    }
}
