//! The load generator through an outage: a proxy in front of the shop refuses connections for
//! a second, and the report shows one outage of about that long, not thousands of errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::TestShop;

/// A TCP proxy to the shop that can be taken down (its port then refuses connections, and open
/// connections break) and brought up again on the same port.
struct Proxy {
    address: std::net::SocketAddr,
    upstream: String,
    checkouts: Arc<AtomicUsize>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            address: listener.local_addr().unwrap(),
            upstream,
            checkouts: Arc::default(),
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, checkouts, tasks) = (
            self.upstream.clone(),
            self.checkouts.clone(),
            self.tasks.clone(),
        );
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                let piping = tokio::spawn(pipe(client, server, checkouts.clone()));
                tasks.lock().unwrap().push(piping);
            }
        });
        self.tasks.lock().unwrap().push(accepting);
    }

    fn down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn up(&self) {
        self.serve(TcpListener::bind(self.address).await.unwrap());
    }
}

/// Copies both ways, counting the checkouts that go to the shop.
async fn pipe(client: TcpStream, server: TcpStream, checkouts: Arc<AtomicUsize>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let read = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            if buffer[..read].starts_with(b"POST /api/v1/checkout") {
                checkouts.fetch_add(1, Ordering::Relaxed);
            }
            if server_write.write_all(&buffer[..read]).await.is_err() {
                return;
            }
        }
    };
    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}

#[tokio::test]
async fn the_load_generator_backs_off_through_an_outage_and_reports_it_as_one() {
    let shop = TestShop::spawn("sqlite").await;
    let proxy = Proxy::start(shop.base_url.trim_start_matches("http://").to_owned()).await;
    let args = emporium::load::LoadArgs {
        url: format!("http://{}", proxy.address),
        concurrency: 2,
        seconds: 5,
        rate: None,
        ..Default::default()
    };
    let load = tokio::spawn(async move { emporium::load::run(&args).await });
    // Once checkouts flow, the shop goes away for a second.
    while proxy.checkouts.load(Ordering::Relaxed) < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.down();
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.up().await;
    let report = load.await.unwrap().unwrap();

    assert_eq!(report.outages.len(), 1, "{report:?}");
    assert!(
        report.outages[0] >= Duration::from_millis(800),
        "{report:?}"
    );
    let refused = report.errors_by_kind[&emporium::load::ErrorKind::Refused];
    // Two buyers retrying at once would be refused tens of thousands of times in a second.
    assert!(
        (1..=50).contains(&refused),
        "buyers back off while the shop is away: {refused} refusals, {}",
        report.describe_errors()
    );
    assert!(
        report.confirmed > 0,
        "checkouts go on after the outage: {report:?}"
    );
    proxy.down();
}
