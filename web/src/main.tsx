// Entry point: mount the app and resume a stored session.
import { render } from "solid-js/web";
import { App } from "./App";
import { boot } from "./state/session";
import "./styles.css";

boot();
render(() => <App />, document.getElementById("root")!);
