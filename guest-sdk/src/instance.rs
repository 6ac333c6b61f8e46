//! One mounted route: its state and the handlers of its last render.

use trellis_core::vdom::{EventKind, Node};

use crate::Route;
use crate::event::Payload;
use crate::html::Handler;

/// A route's state together with the handlers its last render issued.
///
/// The host keeps one guest instance per mounted route, so on wasm32 one
/// `Instance` lives in the guest's memory for as long as the route is
/// mounted. [`TestHost`](crate::testing::TestHost) owns one directly.
pub(crate) struct Instance<R> {
    route: R,
    handlers: Vec<Handler<R>>,
}

impl<R: Route> Instance<R> {
    pub(crate) fn new(route: R) -> Self {
        Self {
            route,
            handlers: Vec::new(),
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn route(&self) -> &R {
        &self.route
    }

    /// Renders the route into a normalized tree. The handlers of the previous
    /// render are dropped, and the new ones are numbered from 0 in document
    /// order.
    pub(crate) fn render_tree(&mut self) -> Node {
        let root = self.route.render();

        let mut handlers = Vec::new();
        let mut node = root.build(&mut handlers);
        node.normalize();
        self.handlers = handlers;
        node
    }

    /// Renders the route into the canonical bincode bytes of its tree.
    #[cfg(any(target_arch = "wasm32", test))]
    pub(crate) fn render(&mut self) -> Vec<u8> {
        trellis_core::encode::encode_node(&self.render_tree())
    }

    /// Runs handler `id` of the last render with `payload`.
    ///
    /// # Errors
    ///
    /// Returns an error when the last render issued no handler `id`, when the
    /// payload does not fit the handler's event, or when the handler fails.
    pub(crate) fn handle_event(&mut self, id: u32, payload: Payload) -> Result<(), String> {
        let handler = usize::try_from(id)
            .ok()
            .and_then(|index| self.handlers.get_mut(index))
            .ok_or_else(|| format!("unknown handler {id}"))?;

        let fits = match handler.kind {
            // A click carries no data; any payload is accepted and ignored.
            EventKind::Click => true,
            EventKind::Input | EventKind::Change => matches!(payload, Payload::Value(_)),
            EventKind::Submit => matches!(payload, Payload::Form(_)),
        };
        if !fits {
            return Err(format!(
                "handler {id} listens to `{}` events, which carry no `{}` payload",
                handler.kind.dom_name(),
                payload.name()
            ));
        }

        (handler.run)(&mut self.route, payload)
    }
}

#[cfg(test)]
mod tests {
    use trellis_core::encode::decode_node;

    use super::*;
    use crate::html::{Element, button, div};

    #[derive(Default)]
    struct Clicks(u32);

    impl Route for Clicks {
        fn render(&self) -> Element<Self> {
            div()
                .text("a")
                .text("b")
                .child(button().on_click(|s: &mut Self| s.0 += 1))
        }
    }

    #[test]
    fn render_encodes_normalized_tree() {
        let mut instance = Instance::new(Clicks::default());

        let bytes = instance.render();

        let tree = decode_node(&bytes).unwrap();
        assert_eq!(tree, instance.render_tree());
        assert_eq!(tree.as_element().unwrap().children[0], Node::text("ab"));
    }

    #[test]
    fn handlers_of_old_render_are_replaced() {
        let mut instance = Instance::new(Clicks::default());
        instance.render();
        instance.render();

        instance.handle_event(0, Payload::None).unwrap();

        assert_eq!(instance.route().0, 1);
        assert_eq!(instance.handlers.len(), 1);
    }
}
