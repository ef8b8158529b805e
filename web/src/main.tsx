// Entry point: mount the app and resume a stored session.
import { render } from "solid-js/web";
import { App } from "./App";
import { listenForOpen, registerApp } from "./features/pwa/app";
import { receiveShare } from "./features/pwa/share";
import { boot } from "./state/session";
import "./styles.css";
import "./features.css";

boot();
listenForOpen();
void registerApp();
void receiveShare();
render(() => <App />, document.getElementById("root")!);
