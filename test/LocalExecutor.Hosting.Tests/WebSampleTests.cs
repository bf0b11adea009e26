using System.Net.Http;
using System.Net.Http.Json;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ThreadPerCore.Hosting.Web;
using Xunit;

namespace ThreadPerCore.Hosting.Tests;

// The minimal-API sample in a real host (ASP.NET Core's test server): each request runs on the shard that owns its key.
public sealed class WebSampleTests
{
    [Fact]
    public async Task A_request_is_served_on_the_executor_that_owns_its_key_and_its_state_stays_there()
    {
        await using var app = new WebApplicationFactory<Program>();
        using HttpClient client = app.CreateClient();
        var pool = app.Services.GetRequiredService<LocalExecutorPool>();

        foreach (string key in new[] { "apples", "pears", "plums", "figs" })
        {
            int owner = pool.ShardFor(key);
            CounterReply? first = await (await client.PostAsync($"/counters/{key}", null).Within("a POST")).Content.ReadFromJsonAsync<CounterReply>();
            CounterReply? second = await (await client.PostAsync($"/counters/{key}", null).Within("a POST")).Content.ReadFromJsonAsync<CounterReply>();
            CounterReply? read = await client.GetFromJsonAsync<CounterReply>($"/counters/{key}").Within("a GET");

            first.Should().Be(new CounterReply(key, 1, owner, $"web-shard-{owner}"));
            second!.Value.Should().Be(2);
            read.Should().Be(new CounterReply(key, 2, owner, $"web-shard-{owner}"));
        }
    }
}
