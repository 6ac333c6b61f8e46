//! A route that tries what a sandboxed guest should not be able to do: list
//! the root directory, read environment variables and open a TCP
//! connection. It shows what happened in `#fs`, `#env` and `#net`, each
//! starting with `ok` or `error`.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Fs;

impl Route for Fs {
    fn render(&self) -> Element<Self> {
        let fs = match std::fs::read_dir("/") {
            Ok(entries) => format!("ok: {} entries", entries.count()),
            Err(error) => format!("error: {error}"),
        };
        let names: Vec<String> = std::env::vars().map(|(name, _)| name).collect();
        let env = format!("ok: {} variables: {}", names.len(), names.join(","));
        let net = connect_discard();

        div()
            .child(p().id("fs").text(fs))
            .child(p().id("env").text(env))
            .child(p().id("net").text(net))
    }
}

/// Opens a TCP connection to 127.0.0.1:9 (discard) through `wasi:sockets`
/// and describes the outcome. Nothing is sent if it connects.
#[cfg(target_arch = "wasm32")]
fn connect_discard() -> String {
    use wasip2::sockets::instance_network::instance_network;
    use wasip2::sockets::network::{
        ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    };
    use wasip2::sockets::tcp_create_socket::create_tcp_socket;

    let socket = match create_tcp_socket(IpAddressFamily::Ipv4) {
        Ok(socket) => socket,
        Err(error) => return format!("error: create-tcp-socket: {}", error.name()),
    };
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: 9,
        address: (127, 0, 0, 1),
    });
    if let Err(error) = socket.start_connect(&instance_network(), address) {
        return format!("error: start-connect: {}", error.name());
    }
    loop {
        socket.subscribe().block();
        match socket.finish_connect() {
            Ok(_) => return "ok: connected".to_owned(),
            Err(ErrorCode::WouldBlock) => continue,
            Err(error) => return format!("error: finish-connect: {}", error.name()),
        }
    }
}

/// Connects with std in native builds (unit tests), where std has sockets.
#[cfg(not(target_arch = "wasm32"))]
fn connect_discard() -> String {
    use std::net::{Ipv4Addr, SocketAddr, TcpStream};

    match TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, 9))) {
        Ok(_) => "ok: connected".to_owned(),
        Err(error) => format!("error: {error}"),
    }
}

trellis::route!(Fs);
