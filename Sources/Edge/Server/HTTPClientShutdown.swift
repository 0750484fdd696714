import AsyncHTTPClient
import ServiceLifecycle

/// Keeps HTTP clients alive while the edge runs and shuts them down after the listeners have stopped.
struct HTTPClientShutdown: Service {
    let clients: [HTTPClient]

    func run() async throws {
        try? await gracefulShutdown()
        for client in clients {
            try? await client.shutdown()
        }
    }
}
