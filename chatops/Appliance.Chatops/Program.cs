using Appliance.Chatops;

await ChatopsApp.Build(args).RunAsync();
