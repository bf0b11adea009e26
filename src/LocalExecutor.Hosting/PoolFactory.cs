namespace ThreadPerCore.Hosting;

/// <summary>Starts the pool from its validated options; a service so that tests can make the start fail.</summary>
internal delegate LocalExecutorPool PoolFactory(LocalExecutorPoolOptions options);
