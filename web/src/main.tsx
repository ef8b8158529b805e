// Entry point: mount the app and resume a stored session.
import { render } from "solid-js/web";
import { App } from "./App";
import { onOpenRoom } from "./state/push";
import { navigate } from "./state/route";
import { boot } from "./state/session";
import "./styles.css";
import "./features.css";

boot();
onOpenRoom((room) => navigate(room));
render(() => <App />, document.getElementById("root")!);
